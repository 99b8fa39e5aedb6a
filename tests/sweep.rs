//! Whole runs and sweeps: training to full train accuracy, resuming, divergence, the CLI.

use std::path::Path;
use std::process::Command;

use grokking_ntk::backend::BackendKind;
use grokking_ntk::recipe::Recipe;
use grokking_ntk::results::{RunPaths, RunRecord};
use grokking_ntk::sweep::{RunResult, SweepOptions, SweepProgress, run_sweep};
use grokking_ntk::training::TrainingStatus;

const SMALL: &str = r#"
name = "small"

[task]
k = 3
d = 10
n_train = 120
n_test = 120

[model]
depth = 2
width = 32
parameterisation = "standard"
sigma_init = 1.0

[optimiser]
lr = 0.03
l1 = 1e-3

[training]
steps = 300
seed = [0, 1]

[checkpoints]
kind = "uniform"
every = 100

[analysis]
saliency_eigenfunctions = 10
"#;

fn options(out: &Path) -> SweepOptions {
    SweepOptions {
        out: out.to_path_buf(),
        backend: BackendKind::Flex,
        jobs: 2,
        force: false,
        shard: None,
        analyse_only: false,
        progress: false,
    }
}

fn sweep(recipe: &Recipe, options: &SweepOptions) -> grokking_ntk::sweep::SweepReport {
    run_sweep(recipe, options, &SweepProgress::new(recipe.runs.len(), false)).unwrap()
}

fn record(result: &RunResult) -> &RunRecord {
    match result {
        RunResult::Done(record) | RunResult::Skipped(record) => record,
        RunResult::Failed(error) => panic!("the run failed: {error}"),
    }
}

#[test]
fn small_run_reaches_full_train_accuracy() {
    let out = tempfile::tempdir().unwrap();
    let recipe = Recipe::parse(SMALL, "small").unwrap();
    let report = sweep(&recipe, &options(out.path()));
    for (id, result) in &report.runs {
        let record = record(result);
        assert_eq!(record.status, TrainingStatus::Finished);
        assert_eq!(record.metrics.len(), 301, "{id}: steps 0..=300");
        assert_eq!(record.final_metrics().unwrap().train_accuracy, 1.0, "{id}");
        assert!(record.key_times.t_m.is_some(), "{id}");

        let paths = RunPaths::new(out.path(), "small", id);
        for file in ["data/x_train.npy", "data/y_train.npy", "data/x_test.npy", "data/y_test.npy"] {
            assert!(paths.root.join(file).is_file(), "{id}: {file}");
        }
        for step in [0, 100, 200, 300] {
            for layer in [1, 2] {
                assert!(paths.weights_dir(step).join(format!("layer{layer}.npy")).is_file());
            }
        }
        let analysis = record.analysis.as_ref().expect("the analysis is on by default");
        assert_eq!(analysis.checkpoints.len(), 4);
        for file in &analysis.arrays {
            assert!(paths.root.join(file).is_file(), "{id}: {file}");
        }
    }
}

#[test]
fn rerun_skips_finished_runs_and_redoes_interrupted_ones() {
    let out = tempfile::tempdir().unwrap();
    let recipe = Recipe::parse(SMALL, "small").unwrap();
    sweep(&recipe, &options(out.path()));

    let finished = RunPaths::new(out.path(), "small", "seed0").record();
    let finished_bytes = std::fs::read(&finished).unwrap();
    // An interrupted run: its folder exists with partial files but no run.json.
    let interrupted = RunPaths::new(out.path(), "small", "seed1");
    std::fs::remove_file(interrupted.record()).unwrap();
    std::fs::write(interrupted.root.join("partial.tmp"), b"left by a killed sweep").unwrap();

    let report = sweep(&recipe, &options(out.path()));
    assert!(matches!(report.runs[0].1, RunResult::Skipped(_)));
    assert!(matches!(report.runs[1].1, RunResult::Done(_)));
    assert_eq!(std::fs::read(&finished).unwrap(), finished_bytes, "the finished run is untouched");
    assert!(interrupted.record().is_file());
    assert!(!interrupted.root.join("partial.tmp").exists(), "the interrupted run started afresh");

    let forced = sweep(&recipe, &SweepOptions { force: true, ..options(out.path()) });
    assert!(forced.runs.iter().all(|(_, r)| matches!(r, RunResult::Done(_))));
}

#[test]
fn changed_recipe_does_not_reuse_old_results() {
    let out = tempfile::tempdir().unwrap();
    let recipe = Recipe::parse(SMALL, "small").unwrap();
    sweep(&recipe, &options(out.path()));
    let changed = Recipe::parse(&SMALL.replace("lr = 0.03", "lr = 0.02"), "small").unwrap();
    let report = sweep(&changed, &options(out.path()));
    for (_, result) in &report.runs {
        match result {
            RunResult::Failed(error) => assert!(error.to_string().contains("--force"), "{error}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}

#[test]
fn changed_analysis_settings_point_to_analyse_only() {
    let out = tempfile::tempdir().unwrap();
    let text = SMALL.replace("seed = [0, 1]", "seed = 0");
    sweep(&Recipe::parse(&text, "small").unwrap(), &options(out.path()));
    let changed = Recipe::parse(&text.replace("saliency_eigenfunctions = 10", "saliency_eigenfunctions = 5"), "small").unwrap();

    let report = sweep(&changed, &options(out.path()));
    let RunResult::Failed(error) = &report.runs[0].1 else { panic!("expected a failure") };
    assert!(error.to_string().contains("--analyse-only"), "{error}");

    let analysed = sweep(&changed, &SweepOptions { analyse_only: true, ..options(out.path()) });
    assert_eq!(record(&analysed.runs[0].1).analysis.as_ref().unwrap().saliency_eigenfunctions, 5);
    let rerun = sweep(&changed, &options(out.path()));
    assert!(matches!(rerun.runs[0].1, RunResult::Skipped(_)), "the re-analysed run counts as finished");
}

#[test]
fn diverging_run_is_recorded_as_diverged() {
    let out = tempfile::tempdir().unwrap();
    let text = SMALL.replace("lr = 0.03", "lr = 1e30").replace("seed = [0, 1]", "seed = 0");
    let recipe = Recipe::parse(&text, "small").unwrap();
    let report = sweep(&recipe, &options(out.path()));
    let record = record(&report.runs[0].1);
    let TrainingStatus::Diverged { step } = record.status else {
        panic!("expected divergence, got {:?}", record.status);
    };
    assert!(step > 0, "the first step is finite");
    assert!(step < 300, "lr = 1e30 overflows within a few steps");
    assert_eq!(record.metrics.len(), step, "metrics stop before the non-finite step");
    assert!(record.analysis.is_none());
    let reread = RunRecord::read(&RunPaths::new(out.path(), "small", "run").record()).unwrap();
    assert_eq!(reread.status, record.status);
}

#[test]
fn analyse_only_reproduces_the_analysis() {
    let out = tempfile::tempdir().unwrap();
    let text = SMALL.replace("seed = [0, 1]", "seed = 0");
    let recipe = Recipe::parse(&text, "small").unwrap();
    let trained = sweep(&recipe, &options(out.path()));
    let analysed = sweep(&recipe, &SweepOptions { analyse_only: true, ..options(out.path()) });
    let (before, after) = (record(&trained.runs[0].1), record(&analysed.runs[0].1));
    let strip_seconds = |record: &RunRecord| {
        let mut analysis = record.analysis.clone().unwrap();
        for checkpoint in &mut analysis.checkpoints {
            checkpoint.seconds = 0.0;
        }
        analysis
    };
    assert_eq!(strip_seconds(before), strip_seconds(after));
    assert_eq!(before.metrics, after.metrics, "analysis alone does not retrain");
}

#[test]
fn analyse_only_without_training_is_an_error() {
    let out = tempfile::tempdir().unwrap();
    let recipe = Recipe::parse(&SMALL.replace("seed = [0, 1]", "seed = 0"), "small").unwrap();
    let report = sweep(&recipe, &SweepOptions { analyse_only: true, ..options(out.path()) });
    let RunResult::Failed(error) = &report.runs[0].1 else { panic!("expected a failure") };
    assert!(error.to_string().contains("without --analyse-only"), "{error}");
}

fn sweep_command(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sweep"))
        .args(arguments)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn cli_rejects_bad_recipe_with_field_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, SMALL.replace("k = 3", "k = 40")).unwrap();
    let output = sweep_command(&["--recipe", path.to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("task.k"), "{stderr}");
    assert!(stderr.contains("40"), "{stderr}");
}

#[test]
fn cli_rejects_unknown_backend_and_bad_shard() {
    let output = sweep_command(&["--recipe", "experiments/smoke.toml", "--backend", "tpu"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tpu"), "{stderr}");
    assert!(stderr.contains("flex"), "{stderr}");

    let output = sweep_command(&["--recipe", "experiments/smoke.toml", "--shard", "4/4"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("4/4"));
}

#[test]
fn cli_runs_a_shard_and_prints_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let output = sweep_command(&[
        "--recipe",
        "experiments/smoke.toml",
        "--out",
        dir.path().to_str().unwrap(),
        "--shard",
        "1/2",
        "--no-progress",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("t_m"), "{stdout}");
    assert!(stdout.contains("seed1"), "{stdout}");
    assert!(!stdout.contains("seed0"), "shard 1/2 runs only the second run: {stdout}");
    assert!(dir.path().join("smoke/seed1/run.json").is_file());
    assert!(!dir.path().join("smoke/seed0").exists());
}

#[test]
fn backend_not_compiled_in_is_a_clear_error() {
    for backend in [BackendKind::Cuda, BackendKind::Ndarray] {
        if backend.is_compiled() {
            continue;
        }
        let message = backend.device().unwrap_err().to_string();
        assert!(message.contains(backend.name()), "{message}");
        assert!(message.contains("--features"), "{message}");
    }
}
