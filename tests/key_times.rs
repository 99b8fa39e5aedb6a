//! Detection of t_m, t_s and t_g on synthetic accuracy curves.

use grokking_ntk::training::{KeyTimes, KeyTimesConfig};

fn detect(train: &[f64], test: &[f64]) -> KeyTimes {
    KeyTimes::detect(train, test, KeyTimesConfig::default())
}

#[test]
fn grokking_curve_has_all_times() {
    let train = [0.5, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let test = [0.5, 0.5, 0.52, 0.5, 0.6, 0.8, 1.0, 1.0];
    let times = detect(&train, &test);
    assert_eq!(times.t_m, Some(2));
    assert_eq!(times.t_s, Some(4));
    assert_eq!(times.t_g, Some(6));
}

#[test]
fn dip_after_onset_moves_t_s() {
    let train = [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let test = [0.5, 0.5, 0.6, 0.7, 0.54, 0.7, 0.9, 1.0];
    let times = detect(&train, &test);
    assert_eq!(times.t_s, Some(5), "the dip to 0.54 at step 4 restarts the onset");
    assert_eq!(times.t_g, Some(7));
}

#[test]
fn never_memorising_run_has_no_times() {
    let train = [0.5, 0.7, 0.9, 0.95];
    let test = [0.5, 0.5, 0.5, 0.5];
    assert_eq!(detect(&train, &test), KeyTimes { t_m: None, t_s: None, t_g: None });
}

#[test]
fn memorising_without_generalising_has_only_t_m() {
    let train = [0.5, 1.0, 1.0, 1.0];
    let test = [0.5, 0.5, 0.48, 0.51];
    assert_eq!(detect(&train, &test), KeyTimes { t_m: Some(1), t_s: None, t_g: None });
}

#[test]
fn rise_without_reaching_generalisation_has_t_s() {
    let train = [0.5, 1.0, 1.0, 1.0, 1.0];
    let test = [0.5, 0.5, 0.7, 0.8, 0.9];
    assert_eq!(detect(&train, &test), KeyTimes { t_m: Some(1), t_s: Some(2), t_g: None });
}

#[test]
fn generalised_threshold_is_configurable() {
    let train = [0.5, 1.0, 1.0, 1.0];
    let test = [0.5, 0.6, 0.96, 0.97];
    let config = KeyTimesConfig { generalized_accuracy: 0.95, onset_margin: 0.05 };
    let times = KeyTimes::detect(&train, &test, config);
    assert_eq!(times.t_g, Some(2));
    assert_eq!(times.t_s, Some(1));
}

#[test]
fn t_s_is_not_before_t_m() {
    let train = [0.5, 0.9, 1.0, 1.0];
    let test = [0.6, 0.7, 0.8, 1.0];
    let times = detect(&train, &test);
    assert_eq!(times.t_m, Some(2));
    assert_eq!(times.t_s, Some(2));
    assert_eq!(times.t_g, Some(3));
}
