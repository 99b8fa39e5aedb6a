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
//! inputs as a leaf, so one backward pass yields all saliency maps. Any other kernel written in
//! tensor operations ([`TensorKernel`]) gets the same maps through [`KernelEigenfunctions`].

use burn::tensor::{Tensor, TensorData};

use crate::eigen::EigenSystem;
use crate::model::{Matrix, Mlp, options};
use crate::ntk::host::{to_device, to_host};
use crate::ntk::jvp::{ParameterTangents, jvp};
use crate::ntk::signals::backprop_signals;
use crate::training::loss::bce_with_logits_per_element;

/// Saliency maps of the leading eigenfunctions.
#[derive(Debug, Clone, PartialEq)]
pub struct Saliency {
    /// Row i−1 = s_i (count × d).
    pub maps: Matrix<f64>,
    /// g_i for i = 1..count; NaN when s_i is all zero (an eigenfunction below the cutoff).
    pub generative_power: Vec<f64>,
}

/// Builds the directions c_i = J(X)ᵀ V_i / ω_i of the first `count` eigenfunctions, with c_i = 0 for
/// eigenvalues at or below rcond · ω_1.
pub fn eigenfunction_directions(mlp: &Mlp, x_train: &Matrix<f64>, eigen: &EigenSystem, count: usize, rcond: f64) -> ParameterTangents {
    let n = x_train.rows;
    let weights = scaled_eigenvectors(eigen, count, rcond);
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

/// Eigenfunctions φ̂_1 … φ̂_S evaluated in tensor operations that reverse mode can
/// differentiate with respect to the inputs.
pub trait EigenfunctionEvaluator {
    /// Number S of eigenfunctions.
    fn count(&self) -> usize;

    /// φ̂_i at the inputs of batch i: `inputs` is S × n × d and the result S × n.
    fn evaluate(&self, inputs: Tensor<3>) -> Tensor<2>;
}

/// The leading eigenfunctions of an MLP's NTK, as JVPs in the directions c_i.
pub struct NtkEigenfunctions<'a> {
    mlp: &'a Mlp,
    directions: ParameterTangents,
}

impl<'a> NtkEigenfunctions<'a> {
    /// Prepares the first `count` eigenfunctions of `eigen`, the eigen-system of the NTK Gram matrix of
    /// `mlp` on `x_train`.
    pub fn new(mlp: &'a Mlp, x_train: &Matrix<f64>, eigen: &EigenSystem, count: usize, rcond: f64) -> Self {
        Self {
            mlp,
            directions: eigenfunction_directions(mlp, x_train, eigen, count, rcond),
        }
    }
}

impl EigenfunctionEvaluator for NtkEigenfunctions<'_> {
    fn count(&self) -> usize {
        self.directions.batch()
    }

    fn evaluate(&self, inputs: Tensor<3>) -> Tensor<2> {
        jvp(self.mlp, &self.directions, inputs)
    }
}

/// A kernel written in tensor operations, differentiable with respect to its first argument.
pub trait TensorKernel {
    /// k(X1, X2) (n1 × n2) for row inputs X1 (n1 × d) and X2 (n2 × d).
    fn cross(&self, x1: Tensor<2>, x2: Tensor<2>) -> Tensor<2>;
}

/// The eigenfunction estimators φ̂_i(x) = (1/ω_i) Σ_l k(x, x_l) V_li of any [`TensorKernel`].
pub struct KernelEigenfunctions<'a, K> {
    kernel: &'a K,
    x_train: Tensor<2>,
    /// V_li / ω_i (S × n × 1), zero below the cutoff.
    weights: Tensor<3>,
}

impl<'a, K: TensorKernel> KernelEigenfunctions<'a, K> {
    /// Prepares the first `count` eigenfunctions of `eigen`, the eigen-system of `kernel`'s Gram matrix
    /// on `x_train` (already on the device).
    pub fn new(kernel: &'a K, x_train: Tensor<2>, eigen: &EigenSystem, count: usize, rcond: f64) -> Self {
        let n = x_train.dims()[0];
        let values = scaled_eigenvectors(eigen, count, rcond);
        let weights = Tensor::<3>::from_data(
            TensorData::new(values, [count, n, 1]),
            options(&x_train.device(), x_train.dtype()),
        );
        Self { kernel, x_train, weights }
    }
}

impl<K: TensorKernel> EigenfunctionEvaluator for KernelEigenfunctions<'_, K> {
    fn count(&self) -> usize {
        self.weights.dims()[0]
    }

    fn evaluate(&self, inputs: Tensor<3>) -> Tensor<2> {
        let [count, n, d] = inputs.dims();
        let n_train = self.x_train.dims()[0];
        let cross = self
            .kernel
            .cross(inputs.reshape([count * n, d]), self.x_train.clone())
            .reshape([count, n, n_train]);
        cross.matmul(self.weights.clone()).reshape([count, n])
    }
}

/// V_li / ω_i for i < count (row-major S × n), zero where ω_i ≤ rcond · ω_1.
fn scaled_eigenvectors(eigen: &EigenSystem, count: usize, rcond: f64) -> Vec<f64> {
    let n = eigen.len();
    let cutoff = eigen.cutoff(rcond);
    let mut weights = Vec::with_capacity(count * n);
    for i in 0..count {
        let omega = eigen.values[i];
        let inverse = if omega > cutoff && omega > 0.0 { 1.0 / omega } else { 0.0 };
        weights.extend((0..n).map(|l| eigen.vectors[(l, i)] * inverse));
    }
    weights
}

/// Saliency maps and generative power of the eigenfunctions of `evaluator` on the training
/// points `x_train` with labels `y_train`, for a task whose relevant bits are the first `k`.
/// `x_train` must be on the device and in the float type the evaluator computes in.
pub fn saliency(evaluator: &dyn EigenfunctionEvaluator, x_train: Tensor<2>, y_train: &[f64], k: usize) -> Saliency {
    let [n, d] = x_train.dims();
    let count = evaluator.count();
    if count == 0 {
        return Saliency {
            maps: Matrix::zeros(0, d),
            generative_power: Vec::new(),
        };
    }
    let labels = Tensor::<2>::from_data(
        TensorData::new(y_train.to_vec(), [1, n]),
        options(&x_train.device(), x_train.dtype()),
    );
    let inputs = x_train
        .unsqueeze_dim::<3>(0)
        .repeat_dim(0, count)
        .autodiff()
        .require_grad();
    let phi = evaluator.evaluate(inputs.clone());

    // Sample j of copy i only reaches its own input, so the gradient of the sum over
    // eigenfunctions and samples is each term's own gradient.
    let loss = bce_with_logits_per_element(phi, labels).sum();
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

/// Saliency maps and generative power of the first `count` NTK eigenfunctions of `mlp` on its
/// training set.
pub fn eigenfunction_saliency(
    mlp: &Mlp,
    x_train: &Matrix<f64>,
    y_train: &[f64],
    eigen: &EigenSystem,
    count: usize,
    rcond: f64,
    k: usize,
) -> Saliency {
    let count = count.min(eigen.len());
    let evaluator = NtkEigenfunctions::new(mlp, x_train, eigen, count, rcond);
    saliency(&evaluator, to_device(x_train, mlp), y_train, k)
}
