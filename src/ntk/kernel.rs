//! Kernels over sets of inputs, and the empirical NTK computed in two independent ways.
//!
//! For a bias-free MLP, ∂f/∂W_l = s_l δ_l a_{l-1}ᵀ, so
//!
//! Θ(x, x') = Σ_l s_l² (δ_l(x)·δ_l(x')) (a_{l-1}(x)·a_{l-1}(x')),
//!
//! which [`StructuredNtk`] evaluates for blocks of inputs as Σ_l s_l² (Δ_l Δ'_lᵀ) ⊙ (A_{l-1} A'_{l-1}ᵀ)
//! in O(n n' Σ_l m_l) operations. [`ContractionNtk`] forms the per-sample Jacobians and contracts
//! them, J Jᵀ, in O(n n' P). Both work on tiles of at most `tile_size` inputs per side. Only the
//! signals (or Jacobian rows) of the tiles and one kernel block live on the device at a time, and
//! both return the whole kernel on the host in f64.

use burn::tensor::Tensor;

use crate::model::{Matrix, Mlp};
use crate::ntk::host::{tiles, to_device, to_host};
use crate::ntk::jacobian::per_sample_jacobian;
use crate::ntk::signals::{BackpropSignals, backprop_signals};

/// A positive semi-definite kernel k(x, x') evaluated on sets of inputs (rows of a matrix).
pub trait Kernel {
    /// Computes the Gram matrix K(X, X) (n × n) of the rows of `x`.
    fn gram(&self, x: &Matrix<f64>) -> Matrix<f64>;

    /// Computes the cross matrix K(X1, X2) (n1 × n2).
    fn cross(&self, x1: &Matrix<f64>, x2: &Matrix<f64>) -> Matrix<f64>;
}

/// The empirical NTK from per-layer backprop signals (the fast path).
#[derive(Debug, Clone, Copy)]
pub struct StructuredNtk<'a> {
    /// The network at the checkpoint.
    pub mlp: &'a Mlp,
    /// Inputs per tile.
    pub tile_size: usize,
}

impl StructuredNtk<'_> {
    fn signals(&self, x: &Matrix<f64>, start: usize, end: usize) -> BackpropSignals {
        backprop_signals(self.mlp, to_device(&x.row_range(start, end), self.mlp))
    }

    fn block(&self, left: &BackpropSignals, right: &BackpropSignals) -> Matrix<f64> {
        let mut total: Option<Tensor<2>> = None;
        for l in 1..=self.mlp.architecture.depth() {
            let scale = self.mlp.architecture.scale(l);
            let deltas = left.deltas[l - 1].clone().matmul(right.deltas[l - 1].clone().transpose());
            let inputs = left.activations[l - 1]
                .clone()
                .matmul(right.activations[l - 1].clone().transpose());
            let mut term = deltas.mul(inputs);
            if scale != 1.0 {
                term = term.mul_scalar(scale * scale);
            }
            total = Some(match total {
                Some(total) => total.add(term),
                None => term,
            });
        }
        to_host(total.expect("an MLP has at least one layer"))
    }
}

impl Kernel for StructuredNtk<'_> {
    fn gram(&self, x: &Matrix<f64>) -> Matrix<f64> {
        let ranges: Vec<_> = tiles(x.rows, self.tile_size).collect();
        let signals: Vec<_> = ranges.iter().map(|&(s, e)| self.signals(x, s, e)).collect();
        let mut gram = Matrix::zeros(x.rows, x.rows);
        for (i, &(row, _)) in ranges.iter().enumerate() {
            for (j, &(col, _)) in ranges.iter().enumerate().skip(i) {
                let block = self.block(&signals[i], &signals[j]);
                gram.set_block(row, col, &block);
                if i != j {
                    gram.set_block(col, row, &block.transpose());
                }
            }
        }
        gram
    }

    fn cross(&self, x1: &Matrix<f64>, x2: &Matrix<f64>) -> Matrix<f64> {
        let right: Vec<_> = tiles(x2.rows, self.tile_size)
            .map(|(s, e)| (s, self.signals(x2, s, e)))
            .collect();
        let mut cross = Matrix::zeros(x1.rows, x2.rows);
        for (row, end) in tiles(x1.rows, self.tile_size) {
            let left = self.signals(x1, row, end);
            for (col, signals) in &right {
                cross.set_block(row, *col, &self.block(&left, signals));
            }
        }
        cross
    }
}

/// The empirical NTK as the contraction J Jᵀ of dense per-sample Jacobians.
#[derive(Debug, Clone, Copy)]
pub struct ContractionNtk<'a> {
    /// The network at the checkpoint.
    pub mlp: &'a Mlp,
    /// Inputs per tile.
    pub tile_size: usize,
    /// Samples per chunk of the vmap-style Jacobian.
    pub chunk: usize,
}

impl ContractionNtk<'_> {
    fn jacobian(&self, x: &Matrix<f64>, start: usize, end: usize) -> Tensor<2> {
        per_sample_jacobian(self.mlp, to_device(&x.row_range(start, end), self.mlp), self.chunk)
    }
}

impl Kernel for ContractionNtk<'_> {
    fn gram(&self, x: &Matrix<f64>) -> Matrix<f64> {
        let ranges: Vec<_> = tiles(x.rows, self.tile_size).collect();
        let jacobians: Vec<_> = ranges.iter().map(|&(s, e)| self.jacobian(x, s, e)).collect();
        let mut gram = Matrix::zeros(x.rows, x.rows);
        for (i, &(row, _)) in ranges.iter().enumerate() {
            for (j, &(col, _)) in ranges.iter().enumerate().skip(i) {
                let block = to_host(jacobians[i].clone().matmul(jacobians[j].clone().transpose()));
                gram.set_block(row, col, &block);
                if i != j {
                    gram.set_block(col, row, &block.transpose());
                }
            }
        }
        gram
    }

    fn cross(&self, x1: &Matrix<f64>, x2: &Matrix<f64>) -> Matrix<f64> {
        let right: Vec<_> = tiles(x2.rows, self.tile_size)
            .map(|(s, e)| (s, self.jacobian(x2, s, e)))
            .collect();
        let mut cross = Matrix::zeros(x1.rows, x2.rows);
        for (row, end) in tiles(x1.rows, self.tile_size) {
            let left = self.jacobian(x1, row, end);
            for (col, jacobian) in &right {
                let block = to_host(left.clone().matmul(jacobian.clone().transpose()));
                cross.set_block(row, *col, &block);
            }
        }
        cross
    }
}

/// Tr Θ^{(l)}(X, X) for every layer l, where Θ^{(l)} is layer l's term of the NTK:
/// Σ_j s_l² ‖δ_l(x_j)‖² ‖a_{l-1}(x_j)‖². They add up to Tr Θ(X, X).
pub fn layer_traces(mlp: &Mlp, x: &Matrix<f64>) -> Vec<f64> {
    let signals = backprop_signals(mlp, to_device(x, mlp));
    (1..=mlp.architecture.depth())
        .map(|l| {
            let scale = mlp.architecture.scale(l);
            let deltas = signals.deltas[l - 1].clone().square().sum_dim(1);
            let inputs = signals.activations[l - 1].clone().square().sum_dim(1);
            let trace: f64 = deltas.mul(inputs).sum().into_scalar::<f64>();
            scale * scale * trace
        })
        .collect()
}
