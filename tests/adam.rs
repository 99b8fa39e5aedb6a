//! Adam against values computed by hand from PyTorch's update rule.

mod common;

use burn::tensor::{DType, Tensor, TensorData};
use grokking_ntk::model::options;
use grokking_ntk::training::{Adam, AdamConfig};

/// Both sides compute in f64 from the same formula; only the operation order differs.
const ADAM_TOLERANCE: f64 = 1e-12;

#[test]
fn adam_matches_hand_computed_steps() {
    let device = common::flex();
    let tensor = |v: [f64; 2]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 2]), options(&device, DType::F64));
    let config = AdamConfig {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    let mut params = vec![tensor([1.0, -2.0])];
    let mut adam = Adam::new(config, &params);

    // Step 1: m̂ = g and v̂ = g², so each entry moves by lr · g/(|g| + ε).
    params = adam.update(params, vec![tensor([0.5, -0.1])]);
    let step1 = common::values(params[0].clone());
    assert!((step1[0] - 0.900000002).abs() < ADAM_TOLERANCE, "{step1:?}");
    assert!((step1[1] - -1.900000009999999).abs() < ADAM_TOLERANCE, "{step1:?}");

    // Step 2, entry 0: m = 0.9·0.05 + 0.1·0.2 = 0.065, m̂ = 0.065/0.19;
    // v = 0.999·0.00025 + 0.001·0.04 = 0.00028975, v̂ = v/0.001999;
    // θ = 0.9 − 0.1 · m̂/(√v̂ + 1e-8) = 0.81014248…
    params = adam.update(params, vec![tensor([0.2, 0.3])]);
    let step2 = common::values(params[0].clone());
    assert!((step2[0] - 0.8101424839029282).abs() < ADAM_TOLERANCE, "{step2:?}");
    assert!((step2[1] - -1.9494189911200654).abs() < ADAM_TOLERANCE, "{step2:?}");
    assert_eq!(adam.step_count(), 2);
}

#[test]
fn adam_config_rejects_bad_values() {
    let base = AdamConfig::default();
    assert!(base.validate().is_ok());
    for bad in [
        AdamConfig { lr: 0.0, ..base },
        AdamConfig { lr: f64::NAN, ..base },
        AdamConfig { beta1: 1.0, ..base },
        AdamConfig { beta2: -0.1, ..base },
        AdamConfig { eps: 0.0, ..base },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
}
