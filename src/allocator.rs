//! Tuning of the C allocator for burn's CPU backends.
//!
//! burn-flex allocates a new buffer for the result of every tensor operation. glibc's malloc
//! serves blocks of 128 KiB and more with `mmap` and unmaps them on `free`, so at the sizes of
//! this project (a 500 × 64 f32 activation is 125 KiB, its f64 twin 250 KiB) every operation pays
//! for fresh zeroed pages. Keeping such blocks in the heap made a training step of the paper's
//! model 2.7× faster
//! (2,200 → 6,000 steps/s, measured with `cargo bench --bench training_step` on a 2-core x86-64
//! machine with glibc 2.36).

/// Raises glibc's `mmap` and trim thresholds so that tensor buffers are reused from the heap.
///
/// Call it once at the start of a program, before tensors exist. It does nothing on targets
/// without glibc. Memory freed by tensors is then kept by the process instead of returned to the
/// operating system, up to the trim threshold.
pub fn tune_for_tensor_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc caps the mmap threshold at 32 MiB on 64-bit targets.
        const MMAP_THRESHOLD: libc::c_int = 32 * 1024 * 1024;
        const TRIM_THRESHOLD: libc::c_int = 256 * 1024 * 1024;
        // SAFETY: mallopt only changes allocator parameters; both values are in range.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}
