//! Alignment between kernels, and between a kernel and the targets.
//!
//! The alignment distance of two Gram matrices is
//! d(K1, K2) = 1 − ⟨K1, K2⟩_F / (‖K1‖_F ‖K2‖_F), with ⟨A, B⟩_F = Tr(A Bᵀ). It is the uncentred
//! formula that the grokking literature calls CKA; the centred variant applies it to H K H with
//! H = I − 11ᵀ/n. It is 0 for kernels that are positive multiples of each other.

use faer::Mat;

use crate::model::Matrix;

/// H K H for a square K.
pub fn centre(kernel: &Matrix<f64>) -> Matrix<f64> {
    let n = kernel.rows;
    let row_means: Vec<f64> = (0..n)
        .map(|i| kernel.values[i * n..(i + 1) * n].iter().sum::<f64>() / n as f64)
        .collect();
    let column_means: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| kernel.get(i, j)).sum::<f64>() / n as f64)
        .collect();
    let grand_mean = row_means.iter().sum::<f64>() / n as f64;
    let mut values = Vec::with_capacity(n * n);
    for i in 0..n {
        values.extend((0..n).map(|j| kernel.get(i, j) - row_means[i] - column_means[j] + grand_mean));
    }
    Matrix { rows: n, cols: n, values }
}

fn frobenius_inner(a: &Matrix<f64>, b: &Matrix<f64>) -> f64 {
    a.values.iter().zip(&b.values).map(|(x, y)| x * y).sum()
}

/// d(K1, K2), uncentred.
pub fn alignment_distance(k1: &Matrix<f64>, k2: &Matrix<f64>) -> f64 {
    let denominator = (frobenius_inner(k1, k1) * frobenius_inner(k2, k2)).sqrt();
    1.0 - frobenius_inner(k1, k2) / denominator
}

/// d(H K1 H, H K2 H).
pub fn centred_alignment_distance(k1: &Matrix<f64>, k2: &Matrix<f64>) -> f64 {
    alignment_distance(&centre(k1), &centre(k2))
}

/// Computes the C × C matrix of d(K_a, K_b) over a list of kernels (centred first when `centred`).
///
/// The Frobenius inner products of all pairs are one matrix product MᵀM, where column a of M is
/// K_a flattened. The result is symmetric by construction.
pub fn alignment_distance_matrix(kernels: &[Matrix<f64>], centred: bool) -> Matrix<f64> {
    let count = kernels.len();
    if count == 0 {
        return Matrix::zeros(0, 0);
    }
    let size = kernels[0].values.len();
    let centred_kernels: Vec<Matrix<f64>>;
    let source = if centred {
        centred_kernels = kernels.iter().map(centre).collect();
        &centred_kernels[..]
    } else {
        kernels
    };
    let flattened = Mat::from_fn(size, count, |row, column| source[column].values[row]);
    let inner = flattened.transpose() * &flattened;
    let mut distances = Matrix::zeros(count, count);
    for a in 0..count {
        for b in a..count {
            let value = 1.0 - inner[(a, b)] / (inner[(a, a)] * inner[(b, b)]).sqrt();
            distances.values[a * count + b] = value;
            distances.values[b * count + a] = value;
        }
    }
    distances
}

/// Centred kernel–target alignment ⟨HKH, y_c y_cᵀ⟩ / (‖HKH‖_F ‖y_c‖²) with y_c = H y, in [−1, 1]:
/// how much of the kernel's centred energy lies along the labels.
pub fn kernel_target_alignment(kernel: &Matrix<f64>, y: &[f64]) -> f64 {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n as f64;
    let y_centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let centred = centre(kernel);
    let mut numerator = 0.0;
    for i in 0..n {
        let row = &centred.values[i * n..(i + 1) * n];
        numerator += y_centred[i] * row.iter().zip(&y_centred).map(|(k, y)| k * y).sum::<f64>();
    }
    let norm_y: f64 = y_centred.iter().map(|v| v * v).sum();
    numerator / (frobenius_inner(&centred, &centred).sqrt() * norm_y)
}
