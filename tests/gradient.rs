//! The hand-written gradient of the training objective against finite differences and against
//! burn's reverse-mode autodiff, in f64 on flex.

mod common;

use burn::tensor::DType;
use grokking_ntk::model::Parameterisation;
use grokking_ntk::task::Dataset;
use grokking_ntk::training::gradient::{FullBatch, evaluate};
use grokking_ntk::training::{RegularisationConfig, bce_with_logits, penalty};

/// Central differences with step 1e-6 have truncation error O(h²) ≈ 1e-12 times third
/// derivatives of order 1 and cancellation error ≈ ε/h ≈ 1e-10; 1e-6 leaves a wide margin.
const FINITE_DIFFERENCE_TOLERANCE: f64 = 1e-6;
/// Two exact f64 evaluations of the same gradient differ only by summation order.
const AUTODIFF_TOLERANCE: f64 = 1e-12;
const STEP: f64 = 1e-6;

const WIDTHS: [usize; 4] = [5, 6, 4, 1];
const REGULARISATION: RegularisationConfig = RegularisationConfig { l1: 1e-2, l2: 3e-2 };

fn dataset() -> Dataset {
    let bits = |rows: usize, seed: u64| -> Vec<f32> {
        common::random_bits(rows, 5, seed).iter().map(|&v| v as f32).collect()
    };
    let labels = |x: &[f32]| -> Vec<f32> { x.chunks(5).map(|r| ((r[0] + r[1]) as u32 % 2) as f32).collect() };
    let x_train = bits(8, 1);
    let x_test = bits(6, 2);
    Dataset {
        d: 5,
        k: 2,
        y_train: labels(&x_train),
        y_test: labels(&x_test),
        x_train,
        x_test,
    }
}

fn host_objective(parameterisation: Parameterisation, layers: &[Vec<f64>], data: &Dataset) -> f64 {
    let n = data.n_train();
    let data_term: f64 = (0..n)
        .map(|j| {
            let x: Vec<f64> = data.x_train[j * 5..(j + 1) * 5].iter().map(|&v| f64::from(v)).collect();
            let f = common::host_forward(&WIDTHS, parameterisation, layers, &x);
            let y = f64::from(data.y_train[j]);
            (1.0 + f.exp()).ln() - y * f
        })
        .sum::<f64>()
        / n as f64;
    let l1: f64 = layers.iter().flatten().map(|w| w.abs()).sum();
    let l2: f64 = layers.iter().flatten().map(|w| w * w).sum();
    data_term + REGULARISATION.l1 * l1 + REGULARISATION.l2 * l2
}

/// ∂L/∂W_l from the device gradient, which is in the transposed layout W_lᵀ.
fn gradient_entry(gradients: &[Vec<f64>], layer: usize, row: usize, col: usize) -> f64 {
    let rows = WIDTHS[layer + 1];
    gradients[layer][col * rows + row]
}

#[test]
fn objective_gradient_matches_finite_differences() {
    let device = common::flex();
    let data = dataset();
    let batch = FullBatch::new(&data, &device, DType::F64);
    for parameterisation in [Parameterisation::Standard, Parameterisation::Ntk] {
        let layers = common::random_layers(&WIDTHS, 11);
        let mlp = common::mlp_from_layers(&WIDTHS, parameterisation, &layers, &device, DType::F64);
        let evaluation = evaluate(&mlp, &batch, REGULARISATION);
        let gradients: Vec<Vec<f64>> = evaluation.gradients.into_iter().map(common::values).collect();

        for layer in 0..layers.len() {
            let cols = WIDTHS[layer];
            for index in 0..layers[layer].len() {
                let (row, col) = (index / cols, index % cols);
                let mut plus = layers.clone();
                plus[layer][index] += STEP;
                let mut minus = layers.clone();
                minus[layer][index] -= STEP;
                let numeric = (host_objective(parameterisation, &plus, &data)
                    - host_objective(parameterisation, &minus, &data))
                    / (2.0 * STEP);
                let analytic = gradient_entry(&gradients, layer, row, col);
                assert!(
                    (numeric - analytic).abs() < FINITE_DIFFERENCE_TOLERANCE,
                    "{parameterisation:?} W_{} [{row}, {col}]: numeric {numeric}, analytic {analytic}",
                    layer + 1
                );
            }
        }
    }
}

#[test]
fn metrics_match_host_computation() {
    let device = common::flex();
    let data = dataset();
    let batch = FullBatch::new(&data, &device, DType::F64);
    let layers = common::random_layers(&WIDTHS, 5);
    let mlp = common::mlp_from_layers(&WIDTHS, Parameterisation::Standard, &layers, &device, DType::F64);
    let summary = evaluate(&mlp, &batch, REGULARISATION)
        .summary
        .try_into_vec_as::<f64>()
        .unwrap();

    let metrics = |x: &[f32], y: &[f32]| -> (f64, f64) {
        let n = y.len();
        let mut loss = 0.0;
        let mut errors = 0.0;
        for j in 0..n {
            let input: Vec<f64> = x[j * 5..(j + 1) * 5].iter().map(|&v| f64::from(v)).collect();
            let f = common::host_forward(&WIDTHS, Parameterisation::Standard, &layers, &input);
            let label = f64::from(y[j]);
            loss += (1.0 + f.exp()).ln() - label * f;
            errors += f64::from(u8::from((f > 0.0) != (label > 0.5)));
        }
        (loss / n as f64, errors / n as f64)
    };
    let (train_loss, train_error) = metrics(&data.x_train, &data.y_train);
    let (test_loss, test_error) = metrics(&data.x_test, &data.y_test);
    let penalty_value = REGULARISATION.l1 * layers.iter().flatten().map(|w| w.abs()).sum::<f64>()
        + REGULARISATION.l2 * layers.iter().flatten().map(|w| w * w).sum::<f64>();
    let expected = [train_loss, train_error, test_loss, test_error, penalty_value];
    for (index, (got, want)) in summary.iter().zip(expected).enumerate() {
        assert!((got - want).abs() < 1e-12, "summary[{index}]: got {got}, want {want}");
    }
}

#[test]
fn objective_gradient_matches_autodiff() {
    let device = common::flex();
    let data = dataset();
    let batch = FullBatch::new(&data, &device, DType::F64);
    let layers = common::random_layers(&WIDTHS, 23);
    let mlp = common::mlp_from_layers(&WIDTHS, Parameterisation::Ntk, &layers, &device, DType::F64);
    let manual: Vec<Vec<f64>> = evaluate(&mlp, &batch, REGULARISATION)
        .gradients
        .into_iter()
        .map(common::values)
        .collect();

    let mut tracked = mlp.clone();
    tracked.weights = mlp.weights.iter().map(|w| w.clone().autodiff().require_grad()).collect();
    let x = grokking_ntk::model::tensor_from_rows(&data.x_train, data.n_train(), 5, &device, DType::F64);
    let y = grokking_ntk::model::tensor_from_rows(&data.y_train, data.n_train(), 1, &device, DType::F64);
    let objective = bce_with_logits(tracked.forward(x), y).add(penalty(&tracked.weights, REGULARISATION));
    let gradients = objective.backward();
    for (layer, weight) in tracked.weights.iter().enumerate() {
        let automatic = common::values(weight.grad(&gradients).unwrap());
        for (a, m) in automatic.iter().zip(&manual[layer]) {
            assert!((a - m).abs() < AUTODIFF_TOLERANCE, "layer {}: autodiff {a}, manual {m}", layer + 1);
        }
    }
}
