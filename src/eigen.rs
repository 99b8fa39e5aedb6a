//! Eigen-system of a kernel Gram matrix on the host, in f64, and the quantities built on it.
//!
//! With K = Θ(X, X) = V Ω Vᵀ (eigenvalues ω_1 ≥ … ≥ ω_n, orthonormal eigenvectors v_i = V_i):
//!
//! - eigenfunctions φ̂_i(x) = (1/ω_i) Σ_l Θ(x, x_l) V_li, so φ̂_i(X) = V_i on the training points;
//! - the pseudo-inverse K⁺ = Σ_{ω_i > c} v_i v_iᵀ / ω_i with cutoff c = rcond · ω_max; directions
//!   with ω_i ≤ c count as zero, here and in the eigenfunctions, so that round-off in the
//!   near-null space of K does not blow up;
//! - the linearised predictor f_lin(x) = Θ(x, X) K⁺ y = Σ_i α_i φ̂_i(x) with α_i = v_iᵀ y.
//!
//! The decomposition is faer's self-adjoint eigendecomposition.

use faer::{Mat, Side};

use crate::error::{Error, Result};
use crate::model::Matrix;

/// Eigenvalues (descending) and eigenvectors of a symmetric matrix.
#[derive(Debug, Clone)]
pub struct EigenSystem {
    /// ω_1 ≥ … ≥ ω_n.
    pub values: Vec<f64>,
    /// V (n × n), column i = v_i.
    pub vectors: Mat<f64>,
}

impl EigenSystem {
    /// Decomposes a symmetric matrix (only its lower triangle is read).
    ///
    /// # Errors
    /// [`Error::Analysis`] when the matrix is not square, has non-finite entries, or the
    /// decomposition does not converge.
    pub fn new(gram: &Matrix<f64>) -> Result<Self> {
        let fail = |message: String| Error::Analysis { step: 0, message };
        if gram.rows != gram.cols {
            return Err(fail(format!("the Gram matrix is {} × {}, not square", gram.rows, gram.cols)));
        }
        if gram.values.iter().any(|v| !v.is_finite()) {
            return Err(fail("the Gram matrix has NaN or infinite entries".to_string()));
        }
        let n = gram.rows;
        let matrix = Mat::from_fn(n, n, |i, j| gram.get(i, j));
        let decomposition = matrix
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| fail(format!("the eigendecomposition failed: {e:?}")))?;
        let ascending = decomposition.S().column_vector();
        let u = decomposition.U();
        // faer sorts ascending; reverse into descending order.
        let values = (0..n).map(|i| ascending[n - 1 - i]).collect();
        let vectors = Mat::from_fn(n, n, |i, j| u[(i, n - 1 - j)]);
        Ok(Self { values, vectors })
    }

    /// Size n.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Returns whether the matrix was empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// ω_1.
    pub fn max_eigenvalue(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }

    /// ω_n.
    pub fn min_eigenvalue(&self) -> f64 {
        self.values.last().copied().unwrap_or(0.0)
    }

    /// ω_1 / ω_n, or infinity when ω_n ≤ 0.
    pub fn condition_number(&self) -> f64 {
        let min = self.min_eigenvalue();
        if min > 0.0 {
            self.max_eigenvalue() / min
        } else {
            f64::INFINITY
        }
    }

    /// Returns how negative ω_n may be for a PSD matrix computed with unit round-off `epsilon`:
    /// n · ε · |ω_1|, the usual bound on the eigenvalue error of a backward-stable solver
    /// applied to a matrix whose entries carry relative errors of order ε.
    pub fn psd_tolerance(&self, epsilon: f64) -> f64 {
        self.len() as f64 * epsilon * self.max_eigenvalue().abs()
    }

    /// Returns whether ω_n ≥ −[`psd_tolerance`](Self::psd_tolerance).
    pub fn is_psd(&self, epsilon: f64) -> bool {
        self.min_eigenvalue() >= -self.psd_tolerance(epsilon)
    }

    /// Returns the cutoff rcond · ω_1 below which eigenvalues count as zero.
    pub fn cutoff(&self, rcond: f64) -> f64 {
        rcond * self.max_eigenvalue()
    }

    /// Number of eigenvalues above the cutoff.
    pub fn rank(&self, rcond: f64) -> usize {
        let cutoff = self.cutoff(rcond);
        self.values.iter().filter(|&&w| w > cutoff).count()
    }

    /// 1/ω_i above the cutoff and 0 below.
    fn inverse_values(&self, rcond: f64) -> Vec<f64> {
        let cutoff = self.cutoff(rcond);
        self.values
            .iter()
            .map(|&w| if w > cutoff && w > 0.0 { 1.0 / w } else { 0.0 })
            .collect()
    }

    /// Computes the pseudo-inverse K⁺ (n × n).
    pub fn pseudo_inverse(&self, rcond: f64) -> Matrix<f64> {
        let inverse = self.inverse_values(rcond);
        let n = self.len();
        let scaled = Mat::from_fn(n, n, |i, j| self.vectors[(i, j)] * inverse[j]);
        let product = &scaled * self.vectors.transpose();
        from_faer(&product)
    }

    /// α_i = v_iᵀ y for every i.
    pub fn coefficients(&self, y: &[f64]) -> Vec<f64> {
        assert_eq!(y.len(), self.len(), "one label per training point");
        (0..self.len())
            .map(|i| (0..self.len()).map(|l| self.vectors[(l, i)] * y[l]).sum())
            .collect()
    }

    /// φ̂_i(x) for every row x of the cross matrix Θ(X', X) (n' × n) and every i: an n' × n
    /// matrix whose column i is φ̂_i(X'). Columns below the cutoff are zero.
    pub fn eigenfunctions(&self, cross: &Matrix<f64>, rcond: f64) -> Matrix<f64> {
        assert_eq!(cross.cols, self.len(), "the cross matrix has one column per training point");
        let inverse = self.inverse_values(rcond);
        let n = self.len();
        let scaled = Mat::from_fn(n, n, |i, j| self.vectors[(i, j)] * inverse[j]);
        let product = &to_faer(cross) * &scaled;
        from_faer(&product)
    }

    /// φ̂_i(X) on the training points themselves: V with the columns below the cutoff zeroed.
    pub fn training_eigenfunctions(&self, rcond: f64) -> Matrix<f64> {
        let cutoff = self.cutoff(rcond);
        let n = self.len();
        let mut values = Vec::with_capacity(n * n);
        for i in 0..n {
            values.extend((0..n).map(|j| {
                if self.values[j] > cutoff && self.values[j] > 0.0 {
                    self.vectors[(i, j)]
                } else {
                    0.0
                }
            }));
        }
        Matrix { rows: n, cols: n, values }
    }
}

/// Accuracy of the accumulated predictors f_i(x) = Σ_{j≤i} α_j φ̂_j(x), i = 1..n, with the
/// prediction 1{f_i(x) > 0.5}: entry i−1 of the result is the accuracy of f_i on the points whose
/// eigenfunction values are the rows of `eigenfunctions` and whose labels are `labels`.
pub fn accumulated_accuracy(eigenfunctions: &Matrix<f64>, alpha: &[f64], labels: &[f64]) -> Vec<f64> {
    assert_eq!(eigenfunctions.rows, labels.len(), "one label per point");
    assert_eq!(eigenfunctions.cols, alpha.len(), "one coefficient per eigenfunction");
    let mut correct = vec![0usize; alpha.len()];
    for (point, &label) in labels.iter().enumerate() {
        let row = &eigenfunctions.values[point * eigenfunctions.cols..(point + 1) * eigenfunctions.cols];
        let positive = label > 0.5;
        let mut prediction = 0.0;
        for (i, (&value, &coefficient)) in row.iter().zip(alpha).enumerate() {
            prediction += coefficient * value;
            if (prediction > 0.5) == positive {
                correct[i] += 1;
            }
        }
    }
    correct
        .into_iter()
        .map(|c| c as f64 / labels.len().max(1) as f64)
        .collect()
}

/// Finds the smallest i (1-based) whose accumulated accuracy reaches `target`, if any.
pub fn min_eigenfunctions(accuracy: &[f64], target: f64) -> Option<usize> {
    // Accuracies are ratios of counts; the slack keeps 0.99 reachable with 99 of 100 correct.
    const RATIO_SLACK: f64 = 1e-12;
    accuracy.iter().position(|&a| a >= target - RATIO_SLACK).map(|i| i + 1)
}

/// Copies a row-major matrix into faer.
pub fn to_faer(matrix: &Matrix<f64>) -> Mat<f64> {
    Mat::from_fn(matrix.rows, matrix.cols, |i, j| matrix.get(i, j))
}

/// Copies a faer matrix into a row-major matrix.
pub fn from_faer(matrix: &Mat<f64>) -> Matrix<f64> {
    let (rows, cols) = (matrix.nrows(), matrix.ncols());
    let mut values = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        values.extend((0..cols).map(|j| matrix[(i, j)]));
    }
    Matrix { rows, cols, values }
}
