//! The `[analysis]` section of a recipe: which NTK analyses run at every checkpoint, and how.

use crate::error::FieldError;

/// Algorithm of the empirical NTK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelMethod {
    /// Per-layer backprop signals and activations (the fast path).
    Structured,
    /// Dense per-sample Jacobians contracted as J Jᵀ.
    Contraction,
}

/// Settings of the per-checkpoint NTK analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisConfig {
    /// Whether the analysis runs at all.
    pub enabled: bool,
    /// NTK algorithm.
    pub kernel: KernelMethod,
    /// Eigenvalues below `rcond · ω_max` count as zero in the pseudo-inverse.
    pub rcond: f64,
    /// Accuracy that the accumulated eigenfunction predictor must reach for the minimum count.
    pub eigen_accuracy: f64,
    /// Number of leading eigenfunctions with saliency maps and generative power.
    pub saliency_eigenfunctions: usize,
    /// Whether the Gram and cross NTK matrices are written as `.npy` at every checkpoint.
    pub save_kernels: bool,
    /// Inputs per tile when kernels are built; bounds the device memory of one tile.
    pub tile_size: usize,
    /// Rows per chunk of the dense per-sample Jacobian (contraction method only).
    pub jacobian_chunk: usize,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            kernel: KernelMethod::Structured,
            rcond: 1e-10,
            eigen_accuracy: 0.99,
            saliency_eigenfunctions: 50,
            save_kernels: false,
            tile_size: 1024,
            jacobian_chunk: 128,
        }
    }
}

impl AnalysisConfig {
    /// Checks the ranges of the fields against a training set of `n_train` points.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first field out of range.
    pub fn validate(&self, n_train: usize) -> Result<(), FieldError> {
        if !(self.rcond.is_finite() && self.rcond >= 0.0 && self.rcond < 1.0) {
            return Err(FieldError::new("analysis.rcond", self.rcond, "must be in [0, 1)"));
        }
        if !(self.eigen_accuracy > 0.0 && self.eigen_accuracy <= 1.0) {
            return Err(FieldError::new(
                "analysis.eigen_accuracy",
                self.eigen_accuracy,
                "must be in (0, 1]",
            ));
        }
        if self.saliency_eigenfunctions > n_train {
            return Err(FieldError::new(
                "analysis.saliency_eigenfunctions",
                self.saliency_eigenfunctions,
                format!("must be at most task.n_train (= {n_train})"),
            ));
        }
        if self.tile_size == 0 {
            return Err(FieldError::new("analysis.tile_size", self.tile_size, "must be at least 1"));
        }
        if self.jacobian_chunk == 0 {
            return Err(FieldError::new(
                "analysis.jacobian_chunk",
                self.jacobian_chunk,
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
