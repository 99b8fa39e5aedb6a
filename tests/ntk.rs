//! The NTK toolkit in f64 on flex: three independent routes to the kernel, finite differences,
//! the eigen-system, alignment, and saliency.

mod common;

use burn::tensor::{DType, Tensor, TensorData};
use grokking_ntk::analysis::alignment::{
    alignment_distance, alignment_distance_matrix, centred_alignment_distance, kernel_target_alignment,
};
use grokking_ntk::eigen::{EigenSystem, accumulated_accuracy, to_faer};
use grokking_ntk::model::{Matrix, Mlp, Parameterisation, options};
use grokking_ntk::ntk::host::{to_device, to_host};
use grokking_ntk::ntk::jvp::{ParameterTangents, jacobian_via_jvp, jvp};
use grokking_ntk::ntk::kernel::{ContractionNtk, Kernel, StructuredNtk, layer_traces};
use grokking_ntk::ntk::per_sample_jacobian;
use grokking_ntk::ntk::saliency::{KernelEigenfunctions, TensorKernel, eigenfunction_saliency, saliency};

/// Kernels from different routes agree to round-off: sums of a few hundred f64 products whose
/// magnitudes are of order the largest entry.
const ROUTE_TOLERANCE: f64 = 1e-10;
/// Central differences with step 1e-6: error ≈ h² f''' + ε/h ≈ 1e-10; 1e-6 leaves margin for
/// third derivatives of order 1e3 (products of three layers of weights).
const FINITE_DIFFERENCE_TOLERANCE: f64 = 1e-6;
const STEP: f64 = 1e-6;

const WIDTHS: [usize; 4] = [6, 7, 5, 1];

fn network(parameterisation: Parameterisation, seed: u64) -> (Mlp, Vec<Vec<f64>>) {
    let layers = common::random_layers(&WIDTHS, seed);
    let mlp = common::mlp_from_layers(&WIDTHS, parameterisation, &layers, &common::flex(), DType::F64);
    (mlp, layers)
}

fn inputs(rows: usize, seed: u64) -> Matrix<f64> {
    Matrix { rows, cols: WIDTHS[0], values: common::random_inputs(rows, WIDTHS[0], seed) }
}

fn max_abs(matrix: &Matrix<f64>) -> f64 {
    matrix.values.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn assert_close(a: &Matrix<f64>, b: &Matrix<f64>, tolerance: f64, label: &str) {
    assert_eq!((a.rows, a.cols), (b.rows, b.cols), "{label}: shapes");
    let scale = max_abs(a).max(1.0);
    for (index, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
        assert!((x - y).abs() <= tolerance * scale, "{label}: entry {index}: {x} vs {y}");
    }
}

fn gram_from_jacobians(j1: &Matrix<f64>, j2: &Matrix<f64>) -> Matrix<f64> {
    let product = to_faer(j1) * to_faer(j2).transpose();
    grokking_ntk::eigen::from_faer(&product)
}

#[test]
fn structured_ntk_equals_contraction_and_jvp_gram() {
    for parameterisation in [Parameterisation::Standard, Parameterisation::Ntk] {
        let (mlp, _) = network(parameterisation, 1);
        let (x1, x2) = (inputs(9, 2), inputs(5, 3));
        let structured = StructuredNtk { mlp: &mlp, tile_size: 100 };
        let contraction = ContractionNtk { mlp: &mlp, tile_size: 100, chunk: 4 };
        let j1 = to_host(jacobian_via_jvp(&mlp, to_device(&x1, &mlp), 7));
        let j2 = to_host(jacobian_via_jvp(&mlp, to_device(&x2, &mlp), 7));

        let gram = structured.gram(&x1);
        assert_close(&gram, &contraction.gram(&x1), ROUTE_TOLERANCE, "Gram: structured vs J Jᵀ");
        assert_close(&gram, &gram_from_jacobians(&j1, &j1), ROUTE_TOLERANCE, "Gram: structured vs JVP");
        let cross = structured.cross(&x2, &x1);
        assert_close(&cross, &contraction.cross(&x2, &x1), ROUTE_TOLERANCE, "cross: structured vs J Jᵀ");
        assert_close(&cross, &gram_from_jacobians(&j2, &j1), ROUTE_TOLERANCE, "cross: structured vs JVP");
    }
}

#[test]
fn jacobian_matches_finite_differences() {
    for parameterisation in [Parameterisation::Standard, Parameterisation::Ntk] {
        let (mlp, layers) = network(parameterisation, 4);
        let x = inputs(6, 5);
        let jacobian = to_host(per_sample_jacobian(&mlp, to_device(&x, &mlp), 4));
        let parameters: usize = layers.iter().map(Vec::len).sum();
        assert_eq!((jacobian.rows, jacobian.cols), (6, parameters));

        let mut column = 0;
        for layer in 0..layers.len() {
            for index in 0..layers[layer].len() {
                let mut plus = layers.clone();
                plus[layer][index] += STEP;
                let mut minus = layers.clone();
                minus[layer][index] -= STEP;
                for sample in 0..x.rows {
                    let input = &x.values[sample * x.cols..(sample + 1) * x.cols];
                    let numeric = (common::host_forward(&WIDTHS, parameterisation, &plus, input)
                        - common::host_forward(&WIDTHS, parameterisation, &minus, input))
                        / (2.0 * STEP);
                    let analytic = jacobian.get(sample, column);
                    assert!(
                        (numeric - analytic).abs() < FINITE_DIFFERENCE_TOLERANCE,
                        "{parameterisation:?} sample {sample} parameter {column}: {numeric} vs {analytic}"
                    );
                }
                column += 1;
            }
        }
        let via_jvp = to_host(jacobian_via_jvp(&mlp, to_device(&x, &mlp), 16));
        assert_close(&jacobian, &via_jvp, ROUTE_TOLERANCE, "reverse-mode vs forward-mode Jacobian");
    }
}

#[test]
fn jvp_matches_finite_differences() {
    let (mlp, layers) = network(Parameterisation::Ntk, 6);
    let x = inputs(5, 7);
    let parameters: usize = layers.iter().map(Vec::len).sum();
    let directions: Vec<Vec<f64>> = (0..3).map(|seed| common::random_inputs(1, parameters, 50 + seed)).collect();
    let tangents = ParameterTangents::from_flat(&mlp, &directions);
    let batched = to_device(&x, &mlp).unsqueeze_dim::<3>(0).repeat_dim(0, 3);
    let products = to_host(jvp(&mlp, &tangents, batched));

    let shifted = |direction: &[f64], sign: f64| -> Vec<Vec<f64>> {
        let mut offset = 0;
        layers
            .iter()
            .map(|w| {
                let moved = w.iter().enumerate().map(|(i, v)| v + sign * STEP * direction[offset + i]).collect();
                offset += w.len();
                moved
            })
            .collect()
    };
    for (i, direction) in directions.iter().enumerate() {
        let (plus, minus) = (shifted(direction, 1.0), shifted(direction, -1.0));
        for sample in 0..x.rows {
            let input = &x.values[sample * x.cols..(sample + 1) * x.cols];
            let numeric = (common::host_forward(&WIDTHS, Parameterisation::Ntk, &plus, input)
                - common::host_forward(&WIDTHS, Parameterisation::Ntk, &minus, input))
                / (2.0 * STEP);
            let analytic = products.get(i, sample);
            assert!((numeric - analytic).abs() < FINITE_DIFFERENCE_TOLERANCE, "direction {i} sample {sample}: {numeric} vs {analytic}");
        }
    }
}

#[test]
fn ntk_is_symmetric_and_positive_semi_definite() {
    let (mlp, _) = network(Parameterisation::Standard, 8);
    let x = inputs(12, 9);
    for tile_size in [5, 100] {
        let gram = StructuredNtk { mlp: &mlp, tile_size }.gram(&x);
        let transpose = gram.transpose();
        assert_close(&gram, &transpose, 1e-14, "Θ = Θᵀ");
        let eigen = EigenSystem::new(&gram).unwrap();
        assert!(eigen.is_psd(f64::EPSILON), "min eigenvalue {}", eigen.min_eigenvalue());
    }
}

#[test]
fn tiled_kernels_equal_untiled() {
    let (mlp, _) = network(Parameterisation::Ntk, 10);
    let (x1, x2) = (inputs(11, 11), inputs(7, 12));
    // Tiling changes which products share a matmul call, not the sums themselves.
    const TILING_TOLERANCE: f64 = 1e-13;
    let whole = StructuredNtk { mlp: &mlp, tile_size: 64 };
    let tiled = StructuredNtk { mlp: &mlp, tile_size: 3 };
    assert_close(&whole.gram(&x1), &tiled.gram(&x1), TILING_TOLERANCE, "structured Gram");
    assert_close(&whole.cross(&x2, &x1), &tiled.cross(&x2, &x1), TILING_TOLERANCE, "structured cross");
    let whole = ContractionNtk { mlp: &mlp, tile_size: 64, chunk: 64 };
    let tiled = ContractionNtk { mlp: &mlp, tile_size: 4, chunk: 3 };
    assert_close(&whole.gram(&x1), &tiled.gram(&x1), TILING_TOLERANCE, "contraction Gram");
    assert_close(&whole.cross(&x2, &x1), &tiled.cross(&x2, &x1), TILING_TOLERANCE, "contraction cross");
}

#[test]
fn eigen_system_reconstructs_the_gram_matrix() {
    let (mlp, _) = network(Parameterisation::Standard, 13);
    let x = inputs(10, 14);
    let gram = StructuredNtk { mlp: &mlp, tile_size: 100 }.gram(&x);
    let eigen = EigenSystem::new(&gram).unwrap();
    let n = eigen.len();
    assert!(eigen.values.windows(2).all(|w| w[0] >= w[1]), "descending");

    let v = &eigen.vectors;
    let omega = faer::Mat::from_fn(n, n, |i, j| if i == j { eigen.values[i] } else { 0.0 });
    let reconstructed = grokking_ntk::eigen::from_faer(&(v * &omega * v.transpose()));
    // A backward-stable eigensolver reconstructs to O(n ε ‖K‖); 10 n ε is a comfortable bound.
    let tolerance = 10.0 * n as f64 * f64::EPSILON;
    assert_close(&gram, &reconstructed, tolerance, "V Ω Vᵀ = K");
    let identity = grokking_ntk::eigen::from_faer(&(v.transpose() * v));
    let expected = Matrix { rows: n, cols: n, values: (0..n * n).map(|i| f64::from(u8::from(i % (n + 1) == 0))).collect() };
    assert_close(&identity, &expected, tolerance, "Vᵀ V = I");

    let pseudo_inverse = eigen.pseudo_inverse(0.0);
    let product = grokking_ntk::eigen::from_faer(&(to_faer(&gram) * to_faer(&pseudo_inverse) * to_faer(&gram)));
    assert_close(&gram, &product, tolerance * eigen.condition_number(), "K K⁺ K = K");
}

#[test]
fn eigenfunctions_equal_eigenvectors_on_training_points() {
    let (mlp, _) = network(Parameterisation::Ntk, 15);
    let x = inputs(9, 16);
    let gram = StructuredNtk { mlp: &mlp, tile_size: 100 }.gram(&x);
    let eigen = EigenSystem::new(&gram).unwrap();
    let at_training_points = eigen.eigenfunctions(&gram, 0.0);
    // φ̂_i(X) = K V_i / ω_i carries the error of K V_i (≈ n ε ω_1) divided by ω_i, so the
    // tolerance scales with the condition number.
    let tolerance = 10.0 * 9.0 * f64::EPSILON * eigen.condition_number();
    assert_close(&at_training_points, &eigen.training_eigenfunctions(0.0), tolerance, "φ̂_i(X) = V_i");
}

#[test]
fn all_eigenfunctions_reproduce_the_labels() {
    let (mlp, _) = network(Parameterisation::Standard, 17);
    let (x, x_test) = (inputs(9, 18), inputs(6, 19));
    let y: Vec<f64> = (0..9).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
    let kernel = StructuredNtk { mlp: &mlp, tile_size: 100 };
    let gram = kernel.gram(&x);
    let eigen = EigenSystem::new(&gram).unwrap();
    let alpha = eigen.coefficients(&y);

    let functions = eigen.training_eigenfunctions(0.0);
    let accuracy = accumulated_accuracy(&functions, &alpha, &y);
    assert_eq!(accuracy.len(), 9);
    assert_eq!(accuracy[8], 1.0, "f_n classifies every training point");
    for (point, &label) in y.iter().enumerate() {
        let prediction: f64 = (0..9).map(|i| alpha[i] * functions.get(point, i)).sum();
        assert!((prediction - label).abs() < 1e-10, "f_n(x_{point}) = {prediction}, y = {label}");
    }

    // On test points the accumulated predictor with all n terms is Θ(x, X) K⁺ y.
    let cross = kernel.cross(&x_test, &x);
    let test_functions = eigen.eigenfunctions(&cross, 0.0);
    let pseudo_inverse = eigen.pseudo_inverse(0.0);
    let weights: Vec<f64> = (0..9).map(|i| (0..9).map(|j| pseudo_inverse.get(i, j) * y[j]).sum()).collect();
    for point in 0..x_test.rows {
        let by_kernel: f64 = (0..9).map(|l| cross.get(point, l) * weights[l]).sum();
        let by_eigenfunctions: f64 = (0..9).map(|i| alpha[i] * test_functions.get(point, i)).sum();
        let tolerance = 1e-12 * eigen.condition_number();
        assert!((by_kernel - by_eigenfunctions).abs() < tolerance, "{by_kernel} vs {by_eigenfunctions}");
    }
}

#[test]
fn alignment_distance_properties() {
    let (mlp_a, _) = network(Parameterisation::Standard, 20);
    let (mlp_b, _) = network(Parameterisation::Standard, 21);
    let x = inputs(8, 22);
    let k1 = StructuredNtk { mlp: &mlp_a, tile_size: 100 }.gram(&x);
    let k2 = StructuredNtk { mlp: &mlp_b, tile_size: 100 }.gram(&x);
    let scaled = Matrix { values: k1.values.iter().map(|v| 3.5 * v).collect(), ..k1.clone() };
    // 1 − ⟨K, cK⟩/(‖K‖ ‖cK‖) cancels to round-off of a few ε.
    const SELF_DISTANCE_TOLERANCE: f64 = 1e-14;
    for distance in [alignment_distance, centred_alignment_distance] {
        assert!(distance(&k1, &k1).abs() < SELF_DISTANCE_TOLERANCE);
        assert!(distance(&k1, &scaled).abs() < SELF_DISTANCE_TOLERANCE);
        assert!(distance(&k1, &k2) > 1e-6, "different kernels are apart");
        assert!((distance(&k1, &k2) - distance(&k2, &k1)).abs() < SELF_DISTANCE_TOLERANCE);
    }
    for centred in [false, true] {
        let matrix = alignment_distance_matrix(&[k1.clone(), k2.clone(), scaled.clone()], centred);
        assert_eq!((matrix.rows, matrix.cols), (3, 3));
        assert_eq!(matrix.values, matrix.transpose().values, "symmetric");
        for i in 0..3 {
            assert!(matrix.get(i, i).abs() < SELF_DISTANCE_TOLERANCE);
        }
        assert!(matrix.get(0, 2).abs() < SELF_DISTANCE_TOLERANCE);
        let pairwise = if centred { centred_alignment_distance(&k1, &k2) } else { alignment_distance(&k1, &k2) };
        assert!((matrix.get(0, 1) - pairwise).abs() < 1e-12);
    }

    let y = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
    let target = Matrix { rows: 8, cols: 8, values: (0..64).map(|i| y[i / 8] * y[i % 8]).collect() };
    assert!((kernel_target_alignment(&target, &y) - 1.0).abs() < 1e-12, "y yᵀ is aligned with y");
    assert!(kernel_target_alignment(&k1, &y).abs() <= 1.0);
}

#[test]
fn layer_traces_add_up_to_the_gram_trace() {
    let (mlp, _) = network(Parameterisation::Ntk, 23);
    let x = inputs(9, 24);
    let gram = StructuredNtk { mlp: &mlp, tile_size: 100 }.gram(&x);
    let trace: f64 = (0..9).map(|i| gram.get(i, i)).sum();
    let layers: f64 = layer_traces(&mlp, &x).iter().sum();
    assert!((trace - layers).abs() < 1e-12 * trace, "{trace} vs {layers}");
}

/// ℓ(φ, y) = softplus(φ) − y φ.
fn bce(phi: f64, y: f64) -> f64 {
    phi.max(0.0) + (-phi.abs()).exp().ln_1p() - y * phi
}

#[test]
fn saliency_matches_finite_differences() {
    let widths = [5, 8, 1];
    let layers = common::random_layers(&widths, 25);
    let mlp = common::mlp_from_layers(&widths, Parameterisation::Standard, &layers, &common::flex(), DType::F64);
    let n = 8;
    // Continuous inputs keep every pre-activation away from ReLU's kink at 0, where a binary
    // input of all zeros would sit and central differences would straddle the kink.
    let x = Matrix { rows: n, cols: 5, values: common::random_inputs(n, 5, 26) };
    let y: Vec<f64> = (0..n).map(|j| (x.get(j, 0).round() + x.get(j, 1).round()) % 2.0).collect();
    let kernel = StructuredNtk { mlp: &mlp, tile_size: 100 };
    let eigen = EigenSystem::new(&kernel.gram(&x)).unwrap();
    let count = 3;
    let result = eigenfunction_saliency(&mlp, &x, &y, &eigen, count, 1e-12, 2);

    // φ̂_i(x') = (1/ω_i) Σ_l Θ(x', x_l) V_li, evaluated through the kernel, not the JVP.
    let phi = |point: &[f64], i: usize| -> f64 {
        let row = Matrix { rows: 1, cols: 5, values: point.to_vec() };
        let cross = kernel.cross(&row, &x);
        (0..n).map(|l| cross.get(0, l) * eigen.vectors[(l, i)]).sum::<f64>() / eigen.values[i]
    };
    for i in 0..count {
        for coordinate in 0..5 {
            let mut total = 0.0;
            for j in 0..n {
                let mut plus = x.values[j * 5..(j + 1) * 5].to_vec();
                let mut minus = plus.clone();
                plus[coordinate] += STEP;
                minus[coordinate] -= STEP;
                let derivative = (bce(phi(&plus, i), y[j]) - bce(phi(&minus, i), y[j])) / (2.0 * STEP);
                total += derivative.abs();
            }
            let numeric = total / n as f64;
            let analytic = result.maps.get(i, coordinate);
            assert!(
                (numeric - analytic).abs() < FINITE_DIFFERENCE_TOLERANCE * numeric.abs().max(1.0),
                "s_{} [{coordinate}]: {numeric} vs {analytic}",
                i + 1
            );
        }
        let relevant = result.maps.get(i, 0) + result.maps.get(i, 1);
        let total: f64 = (0..5).map(|c| result.maps.get(i, c)).sum();
        assert!((result.generative_power[i] - relevant / total).abs() < 1e-12);
    }
}

/// (1 + ⟨x, x'⟩)² over the columns `columns` of the inputs only.
struct PolynomialOn {
    columns: std::ops::Range<usize>,
}

impl TensorKernel for PolynomialOn {
    fn cross(&self, x1: Tensor<2>, x2: Tensor<2>) -> Tensor<2> {
        let [n1, _] = x1.dims();
        let [n2, _] = x2.dims();
        let a = x1.slice([0..n1, self.columns.clone()]);
        let b = x2.slice([0..n2, self.columns.clone()]);
        a.matmul(b.transpose()).add_scalar(1.0).powi_scalar(2)
    }
}

#[test]
fn kernel_on_relevant_bits_has_generative_power_one() {
    let device = common::flex();
    let (n, d, k) = (24, 6, 2);
    let bits = common::random_bits(n, d, 27);
    let y: Vec<f64> = (0..n).map(|j| (bits[j * d] + bits[j * d + 1]) % 2.0).collect();
    let x = Tensor::<2>::from_data(TensorData::new(bits, [n, d]), options(&device, DType::F64));

    for (columns, expected) in [(0..k, 1.0), (k..d, 0.0)] {
        let kernel = PolynomialOn { columns: columns.clone() };
        let gram = to_host(kernel.cross(x.clone(), x.clone()));
        let eigen = EigenSystem::new(&gram).unwrap();
        let rcond = 1e-9;
        let count = eigen.rank(rcond).min(3);
        assert!(count >= 2, "the kernel has at least two non-zero eigenvalues");
        let evaluator = KernelEigenfunctions::new(&kernel, x.clone(), &eigen, count, rcond);
        let result = saliency(&evaluator, x.clone(), &y, k);
        for (i, &g) in result.generative_power.iter().enumerate() {
            assert!((g - expected).abs() < 1e-12, "columns {columns:?}: g_{} = {g}", i + 1);
        }
    }
}
