//! Helpers shared by the integration tests.
#![allow(dead_code)]

use burn::tensor::{DType, Device, Tensor, TensorData};
use grokking_ntk::backend::BackendKind;
use grokking_ntk::model::{Architecture, Mlp, Parameterisation, options};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Opens the flex device.
pub fn flex() -> Device {
    BackendKind::Flex.device().expect("flex is always available")
}

/// Opens the wgpu device when this build has wgpu and the machine has an adapter.
///
/// Under CI (the `CI` variable is set) a missing adapter fails the test instead, because CI
/// installs a software Vulkan driver and the cross-backend checks must run there.
pub fn wgpu() -> Option<Device> {
    if !BackendKind::Wgpu.is_compiled() {
        eprintln!("skipping the wgpu part: this build has no wgpu feature");
        return None;
    }
    match BackendKind::Wgpu.device() {
        Ok(device) => Some(device),
        Err(error) if std::env::var_os("CI").is_some() => {
            panic!("wgpu must work in CI (install mesa-vulkan-drivers): {error}")
        }
        Err(error) => {
            eprintln!("skipping the wgpu part: {error}");
            None
        }
    }
}

/// Lists every backend of this build with a working device, for tests that run one body on each.
pub fn devices() -> Vec<(BackendKind, Device)> {
    let mut devices = vec![(BackendKind::Flex, flex())];
    if let Some(device) = wgpu() {
        devices.push((BackendKind::Wgpu, device));
    }
    devices
}

/// Random weights W_l (m_l × m_{l-1}, row-major, f64) for `widths`.
pub fn random_layers(widths: &[usize], seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    widths
        .windows(2)
        .map(|w| (0..w[0] * w[1]).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect()
}

/// Random inputs in [0, 1) (rows × cols, row-major).
pub fn random_inputs(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rows * cols).map(|_| rng.random_range(0.0..1.0)).collect()
}

/// Random bits (rows × cols, row-major).
pub fn random_bits(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rows * cols).map(|_| f64::from(u8::from(rng.random::<bool>()))).collect()
}

/// Builds an MLP on `device` in `dtype` from f64 layers W_l (row-major m_l × m_{l-1}).
pub fn mlp_from_layers(
    widths: &[usize],
    parameterisation: Parameterisation,
    layers: &[Vec<f64>],
    device: &Device,
    dtype: DType,
) -> Mlp {
    let architecture = Architecture::new(widths.to_vec(), parameterisation);
    let weights = layers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let (rows, cols) = (widths[index + 1], widths[index]);
            let mut transposed = vec![0.0; rows * cols];
            for r in 0..rows {
                for c in 0..cols {
                    transposed[c * rows + r] = w[r * cols + c];
                }
            }
            Tensor::<2>::from_data(TensorData::new(transposed, [cols, rows]), options(device, dtype))
        })
        .collect();
    Mlp { architecture, weights }
}

/// f(x) of a bias-free ReLU MLP on the host in f64, written independently of the library.
pub fn host_forward(
    widths: &[usize],
    parameterisation: Parameterisation,
    layers: &[Vec<f64>],
    x: &[f64],
) -> f64 {
    let depth = widths.len() - 1;
    let mut a = x.to_vec();
    for l in 1..=depth {
        let (rows, cols) = (widths[l], widths[l - 1]);
        let scale = match parameterisation {
            Parameterisation::Standard => 1.0,
            Parameterisation::Ntk => 1.0 / (cols as f64).sqrt(),
        };
        let z: Vec<f64> = (0..rows)
            .map(|r| scale * (0..cols).map(|c| layers[l - 1][r * cols + c] * a[c]).sum::<f64>())
            .collect();
        a = if l < depth { z.iter().map(|v| v.max(0.0)).collect() } else { z };
    }
    a[0]
}

/// Reads a 2-D tensor as row-major f64.
pub fn values(tensor: Tensor<2>) -> Vec<f64> {
    tensor.try_into_vec_as::<f64>().expect("tensor read back")
}
