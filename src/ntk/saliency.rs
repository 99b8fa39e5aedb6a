//! Saliency maps and generative power of NTK eigenfunctions.
//!
//! The saliency map of eigenfunction i is s_i = (1/n) Σ_j |∇_x ℓ(φ̂_i(x_j), y_j)| ∈ R^d, with ℓ the
//! binary cross-entropy on the logit φ̂_i(x), x treated as continuous, and the absolute value taken
//! per sample and per coordinate (a signed mean cancels for a parity). The generative power
//! g_i = Σ_{j≤k} s_i^j / Σ_{j≤d} s_i^j is the share of the saliency on the k relevant bits.
//!
//! φ̂_i(x) = (1/ω_i) Σ_l Θ(x, x_l) V_li = J(x)·c_i with c_i = J(X)ᵀ V_i / ω_i, whose per-layer
//! blocks are C_l = (s_l/ω_i) Δ_lᵀ diag(V_i) A_{l-1}. So φ̂_i is a [`jvp`] in direction c_i, and
//! reverse mode differentiates it with respect to x. Each eigenfunction gets its own copy of the
//! inputs as a leaf, so one backward pass yields all saliency maps.

use burn::tensor::{Tensor, TensorData};

use crate::eigen::EigenSystem;
use crate::model::{Matrix, Mlp, options};
use crate::ntk::host::{to_device, to_host};
use crate::ntk::jvp::{ParameterTangents, jvp};
use crate::ntk::signals::backprop_signals;

/// Saliency maps of the leading eigenfunctions.
#[derive(Debug, Clone, PartialEq)]
pub struct Saliency {
    /// Row i−1 = s_i (count × d).
    pub maps: Matrix<f64>,
    /// g_i for i = 1..count; NaN when s_i is all zero (an eigenfunction below the cutoff).
    pub generative_power: Vec<f64>,
}

/// The directions c_i = J(X)ᵀ V_i / ω_i of the first `count` eigenfunctions, with c_i = 0 for
/// eigenvalues at or below rcond · ω_1.
pub fn eigenfunction_directions(mlp: &Mlp, x_train: &Matrix<f64>, eigen: &EigenSystem, count: usize, rcond: f64) -> ParameterTangents {
    let n = x_train.rows;
    let cutoff = eigen.cutoff(rcond);
    let mut weights = Vec::with_capacity(count * n);
    for i in 0..count {
        let omega = eigen.values[i];
        let inverse = if omega > cutoff && omega > 0.0 { 1.0 / omega } else { 0.0 };
        weights.extend((0..n).map(|l| eigen.vectors[(l, i)] * inverse));
    }
    let reference = &mlp.weights[0];
    let sample_weights = Tensor::<3>::from_data(
        TensorData::new(weights, [count, n, 1]),
        options(&reference.device(), reference.dtype()),
    );

    let signals = backprop_signals(mlp, to_device(x_train, mlp));
    let blocks = (1..=mlp.architecture.depth())
        .map(|l| {
            let delta = signals.deltas[l - 1].clone();
            let fan_out = delta.dims()[1];
            let weighted = sample_weights
                .clone()
                .mul(delta.unsqueeze_dim::<3>(0).expand([count, n, fan_out]));
            let inputs = signals.activations[l - 1].clone();
            let fan_in = inputs.dims()[1];
            let inputs_t = inputs.transpose().unsqueeze_dim::<3>(0).expand([count, fan_in, n]);
            let block = inputs_t.matmul(weighted);
            let scale = mlp.architecture.scale(l);
            if scale == 1.0 { block } else { block.mul_scalar(scale) }
        })
        .collect();
    ParameterTangents { blocks }
}

/// Saliency maps and generative power of the first `count` eigenfunctions of the NTK Gram
/// matrix on the training set, for a task whose relevant bits are the first `k`.
pub fn eigenfunction_saliency(
    mlp: &Mlp,
    x_train: &Matrix<f64>,
    y_train: &[f64],
    eigen: &EigenSystem,
    count: usize,
    rcond: f64,
    k: usize,
) -> Saliency {
    let (n, d) = (x_train.rows, x_train.cols);
    let count = count.min(eigen.len());
    if count == 0 {
        return Saliency {
            maps: Matrix::zeros(0, d),
            generative_power: Vec::new(),
        };
    }
    let directions = eigenfunction_directions(mlp, x_train, eigen, count, rcond);
    let inputs = to_device(x_train, mlp)
        .unsqueeze_dim::<3>(0)
        .repeat_dim(0, count)
        .autodiff()
        .require_grad();
    let phi = jvp(mlp, &directions, inputs.clone());

    let reference = &mlp.weights[0];
    let labels = Tensor::<2>::from_data(
        TensorData::new(y_train.to_vec(), [1, n]),
        options(&reference.device(), reference.dtype()),
    );
    // Σ over eigenfunctions and samples of softplus(φ) − yφ: sample j of copy i only reaches
    // its own input, so the gradient of the sum is each term's own gradient.
    let softplus = phi
        .clone()
        .clamp_min(0.0)
        .add(phi.clone().abs().neg().exp().log1p());
    let loss = softplus.sub(phi.mul(labels)).sum();
    let gradients = loss.backward();
    let gradient = inputs.grad(&gradients).expect("the inputs take part in the loss");
    let maps = to_host(gradient.abs().mean_dim(1).reshape([count, d]));

    let generative_power = (0..count)
        .map(|i| {
            let row = &maps.values[i * d..(i + 1) * d];
            let total: f64 = row.iter().sum();
            let relevant: f64 = row[..k.min(d)].iter().sum();
            if total > 0.0 { relevant / total } else { f64::NAN }
        })
        .collect();
    Saliency { maps, generative_power }
}
