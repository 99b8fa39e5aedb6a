//! The sparse parity generator.

use std::collections::HashSet;

use grokking_ntk::task::SparseParityConfig;

fn paper_task(d: usize) -> SparseParityConfig {
    SparseParityConfig { k: 3, d, n_train: 500, n_test: 500 }
}

fn rows(values: &[f32], d: usize) -> Vec<Vec<u8>> {
    values.chunks(d).map(|row| row.iter().map(|&v| v as u8).collect()).collect()
}

#[test]
fn all_points_are_distinct() {
    for config in [paper_task(35), SparseParityConfig { k: 2, d: 10, n_train: 700, n_test: 324 }] {
        let data = config.generate(7).unwrap();
        let mut all = rows(&data.x_train, config.d);
        all.extend(rows(&data.x_test, config.d));
        let distinct: HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), config.n_train + config.n_test, "d = {}", config.d);
    }
}

#[test]
fn labels_are_parity_of_first_k_bits() {
    let config = SparseParityConfig { k: 3, d: 20, n_train: 300, n_test: 200 };
    let data = config.generate(1).unwrap();
    let check = |x: &[f32], y: &[f32]| {
        for (row, &label) in rows(x, config.d).iter().zip(y) {
            let ones: u32 = row[..3].iter().map(|&b| u32::from(b)).sum();
            assert_eq!(label, (ones % 2) as f32);
        }
    };
    check(&data.x_train, &data.y_train);
    check(&data.x_test, &data.y_test);
}

#[test]
fn shapes_and_entries_are_binary() {
    let config = paper_task(30);
    let data = config.generate(0).unwrap();
    assert_eq!(data.x_train.len(), 500 * 30);
    assert_eq!(data.x_test.len(), 500 * 30);
    assert_eq!(data.y_train.len(), 500);
    assert_eq!(data.y_test.len(), 500);
    assert!(data.x_train.iter().chain(&data.x_test).all(|&v| v == 0.0 || v == 1.0));
}

#[test]
fn bits_are_balanced() {
    // 35,000 fair bits have a mean within 0.5 ± 0.003 (one standard deviation); 0.02 is ~7σ.
    const MEAN_TOLERANCE: f32 = 0.02;
    let data = paper_task(35).generate(3).unwrap();
    let mean = data.x_train.iter().sum::<f32>() / data.x_train.len() as f32;
    assert!((mean - 0.5).abs() < MEAN_TOLERANCE, "mean bit {mean}");
    let label_mean = data.y_train.iter().sum::<f32>() / data.y_train.len() as f32;
    // 500 fair labels: σ ≈ 0.022, so 0.1 is ~4.5σ.
    assert!((label_mean - 0.5).abs() < 0.1, "mean label {label_mean}");
}

#[test]
fn same_seed_gives_same_data() {
    let config = paper_task(35);
    assert_eq!(config.generate(4).unwrap(), config.generate(4).unwrap());
    assert_ne!(config.generate(4).unwrap().x_train, config.generate(5).unwrap().x_train);
}

#[test]
fn data_does_not_depend_on_split() {
    // The points are drawn once for the union, so moving the split keeps the same sequence.
    let a = SparseParityConfig { k: 3, d: 16, n_train: 100, n_test: 50 }.generate(9).unwrap();
    let b = SparseParityConfig { k: 3, d: 16, n_train: 50, n_test: 100 }.generate(9).unwrap();
    let mut all_a = a.x_train.clone();
    all_a.extend(&a.x_test);
    let mut all_b = b.x_train.clone();
    all_b.extend(&b.x_test);
    assert_eq!(all_a, all_b);
}

#[test]
fn whole_cube_can_be_drawn() {
    let config = SparseParityConfig { k: 2, d: 6, n_train: 40, n_test: 24 };
    let data = config.generate(2).unwrap();
    let mut all = rows(&data.x_train, 6);
    all.extend(rows(&data.x_test, 6));
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 64);
}
