//! Recipe parsing, grids and validation: one test per rule, each checking that the message names
//! the field, the value and what is allowed.

use std::path::Path;

use grokking_ntk::recipe::Recipe;

const BASE: &str = r#"
[task]
k = 3
d = 10
n_train = 50
n_test = 50

[training]
steps = 100
seed = 0

[checkpoints]
kind = "uniform"
every = 10
"#;

/// BASE with `from` replaced by `to`.
fn edited(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no `{from}`");
    BASE.replacen(from, to, 1)
}

fn error(text: &str) -> String {
    match Recipe::parse(text, "test") {
        Ok(_) => panic!("the recipe was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{message}` does not mention `{part}`");
    }
}

#[test]
fn base_recipe_has_one_run_with_defaults() {
    let recipe = Recipe::parse(BASE, "test").unwrap();
    assert_eq!(recipe.name, "test");
    assert_eq!(recipe.runs.len(), 1);
    let run = &recipe.runs[0];
    assert_eq!(run.id, "run");
    assert_eq!(run.config.model.width, 64);
    assert_eq!(run.config.optimiser.lr, 0.03);
    assert_eq!(run.config.optimiser.l1, 1e-3);
    assert_eq!(run.checkpoint_steps, (0..=100).step_by(10).collect::<Vec<_>>());
}

#[test]
fn paper_recipe_sweeps_d_and_seed() {
    let recipe = Recipe::from_file(Path::new("experiments/paper.toml")).unwrap();
    assert_eq!(recipe.name, "paper");
    assert_eq!(recipe.runs.len(), 15);
    let ids: Vec<&str> = recipe.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(&ids[..6], &["d30-seed0", "d30-seed1", "d30-seed2", "d30-seed3", "d30-seed4", "d35-seed0"]);
    let run = &recipe.runs[7];
    assert_eq!((run.config.task.d, run.config.training.seed), (35, 2));
    assert_eq!(run.checkpoint_steps.len(), 113);
    assert_eq!(run.config.model.parameterisation, grokking_ntk::model::Parameterisation::Standard);
}

#[test]
fn shipped_recipes_are_valid() {
    for name in ["paper", "paper-ntk-param", "smoke"] {
        let path = format!("experiments/{name}.toml");
        let recipe = Recipe::from_file(Path::new(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(recipe.name, name);
    }
    let ntk = Recipe::from_file(Path::new("experiments/paper-ntk-param.toml")).unwrap();
    assert_eq!(ntk.runs[0].config.optimiser.l1, 1e-4);
}

#[test]
fn any_list_is_a_grid_axis() {
    let text = edited("[training]\nsteps = 100", "[optimiser]\nlr = [0.01, 0.1]\n\n[training]\nsteps = 100")
        .replace("seed = 0", "seed = [1, 2, 3]");
    let recipe = Recipe::parse(&text, "test").unwrap();
    assert_eq!(recipe.runs.len(), 6);
    assert_eq!(recipe.runs[0].id, "lr0.01-seed1");
    assert_eq!(recipe.runs[5].id, "lr0.1-seed3");
    assert_eq!(recipe.runs[4].config.optimiser.lr, 0.1);
    let shard: Vec<usize> = recipe.shard(1, 4).map(|r| r.index).collect();
    assert_eq!(shard, vec![1, 5]);
}

#[test]
fn k_greater_than_d_is_rejected() {
    assert_mentions(&error(&edited("k = 3", "k = 11")), &["task.k", "11", "task.d (= 10)"]);
}

#[test]
fn k_zero_is_rejected() {
    assert_mentions(&error(&edited("k = 3", "k = 0")), &["task.k", "0", "between 1 and"]);
}

#[test]
fn too_many_points_for_the_cube_are_rejected() {
    let message = error(&edited("n_test = 50", "n_test = 1000"));
    assert_mentions(&message, &["task.n_train + task.n_test", "1050", "2^d = 1024"]);
}

#[test]
fn zero_sizes_are_rejected() {
    for (from, to, field) in [
        ("d = 10", "d = 0", "task.d"),
        ("n_train = 50", "n_train = 0", "task.n_train"),
        ("n_test = 50", "n_test = 0", "task.n_test"),
        ("steps = 100", "steps = 0", "training.steps"),
    ] {
        assert_mentions(&error(&edited(from, to)), &[field, "0", "at least 1"]);
    }
}

#[test]
fn bad_model_sizes_are_rejected() {
    let model = |body: &str| edited("[training]", &format!("[model]\n{body}\n\n[training]"));
    assert_mentions(
        &error(&model("depth = 1\nwidth = 8\nparameterisation = \"standard\"\nsigma_init = 1.0")),
        &["model.depth", "1", "at least 2"],
    );
    assert_mentions(
        &error(&model("depth = 2\nwidth = 0\nparameterisation = \"standard\"\nsigma_init = 1.0")),
        &["model.width", "0", "at least 1"],
    );
    assert_mentions(
        &error(&model("depth = 2\nwidth = 8\nparameterisation = \"standard\"\nsigma_init = -1.0")),
        &["model.sigma_init", "-1", "positive"],
    );
}

#[test]
fn unknown_parameterisation_is_rejected() {
    let text = edited("[training]", "[model]\ndepth = 2\nwidth = 8\nparameterisation = \"mup\"\nsigma_init = 1.0\n\n[training]");
    assert_mentions(&error(&text), &["model.parameterisation", "mup", "standard", "ntk"]);
}

#[test]
fn non_positive_rates_are_rejected() {
    let optimiser = |body: &str| edited("[training]", &format!("[optimiser]\n{body}\n\n[training]"));
    assert_mentions(&error(&optimiser("lr = 0.0")), &["optimiser.lr", "0", "positive"]);
    assert_mentions(&error(&optimiser("lr = -0.5")), &["optimiser.lr", "-0.5", "positive"]);
    assert_mentions(&error(&optimiser("eps = 0.0")), &["optimiser.eps", "0", "positive"]);
    assert_mentions(&error(&optimiser("beta1 = 1.0")), &["optimiser.beta1", "1", "[0, 1)"]);
    assert_mentions(&error(&optimiser("l1 = -0.001")), &["optimiser.l1", "-0.001", "≥ 0"]);
}

#[test]
fn key_time_thresholds_are_checked() {
    assert_mentions(
        &error(&edited("seed = 0", "seed = 0\ngeneralized_accuracy = 0.4")),
        &["training.generalized_accuracy", "0.4", "(0.5, 1]"],
    );
    assert_mentions(
        &error(&edited("seed = 0", "seed = 0\nonset_margin = 0.6")),
        &["training.onset_margin", "0.6", "[0, 0.5)"],
    );
}

#[test]
fn empty_list_is_rejected() {
    assert_mentions(&error(&edited("seed = 0", "seed = []")), &["training.seed", "[]", "at least one value"]);
}

#[test]
fn unknown_keys_are_rejected() {
    let message = error(&edited("k = 3", "k = 3\nclean_bits = 3"));
    assert_mentions(&message, &["task", "clean_bits", "expected one of"]);
    let message = error(&format!("{BASE}\n[scheduler]\nkind = \"cosine\"\n"));
    assert_mentions(&message, &["scheduler"]);
}

#[test]
fn missing_section_is_rejected() {
    let message = error(&BASE.replace("[checkpoints]\nkind = \"uniform\"\nevery = 10\n", ""));
    assert_mentions(&message, &["checkpoints"]);
}

#[test]
fn wrong_types_are_rejected() {
    assert_mentions(&error(&edited("d = 10", "d = \"ten\"")), &["task.d", "ten"]);
}

#[test]
fn bad_schedules_are_rejected() {
    assert_mentions(&error(&edited("every = 10", "every = 0")), &["checkpoints.every", "0", "at least 1"]);
    assert_mentions(&error(&edited("every = 10", "")), &["checkpoints.every", "missing", "uniform"]);
    assert_mentions(&error(&edited("every = 10", "every = 10\ncount = 5")), &["checkpoints.count", "not used"]);
    let multi = |segments: &str| {
        edited("kind = \"uniform\"\nevery = 10", &format!("kind = \"multi-speed\"\nsegments = {segments}"))
    };
    assert_mentions(
        &error(&multi("[{ every = 5, until = 50 }, { every = 10, until = 40 }]")),
        &["checkpoints.segments[1].until", "40", "greater than the previous segment's end (50)"],
    );
    assert_mentions(
        &error(&multi("[{ every = 5, until = 500 }]")),
        &["checkpoints.segments[0].until", "500", "at most training.steps (100)"],
    );
    assert_mentions(&error(&multi("[]")), &["checkpoints.segments", "at least one segment"]);
    let log = edited("kind = \"uniform\"\nevery = 10", "kind = \"log\"\ncount = 1");
    assert_mentions(&error(&log), &["checkpoints.count", "1", "at least 2"]);
    let unknown = edited("kind = \"uniform\"", "kind = \"cosine\"");
    assert_mentions(&error(&unknown), &["checkpoints.kind", "cosine", "multi-speed"]);
}

#[test]
fn analysis_settings_are_checked() {
    let analysis = |body: &str| format!("{BASE}\n[analysis]\n{body}\n");
    assert_mentions(
        &error(&analysis("saliency_eigenfunctions = 51")),
        &["analysis.saliency_eigenfunctions", "51", "task.n_train (= 50)"],
    );
    assert_mentions(&error(&analysis("rcond = 2.0")), &["analysis.rcond", "2", "[0, 1)"]);
    assert_mentions(&error(&analysis("eigen_accuracy = 0.0")), &["analysis.eigen_accuracy", "0", "(0, 1]"]);
    assert_mentions(&error(&analysis("tile_size = 0")), &["analysis.tile_size", "0", "at least 1"]);
    assert_mentions(&error(&analysis("kernel = \"exact\"")), &["analysis.kernel", "exact", "structured"]);
}

#[test]
fn invalid_name_is_rejected() {
    assert_mentions(&error(&format!("name = \"../x\"\n{BASE}")), &["name", "../x", "folder name"]);
}

#[test]
fn error_names_the_run_of_a_grid() {
    let message = error(&edited("k = 3", "k = [3, 12]"));
    assert_mentions(&message, &["task.k", "12", "in run k12"]);
}

#[test]
fn invalid_toml_is_reported_with_its_line() {
    let message = error("[task\nk = 3");
    assert_mentions(&message, &["failed to parse recipe", "line 1"]);
}

#[test]
fn missing_file_is_reported() {
    let message = Recipe::from_file(Path::new("experiments/no-such-recipe.toml")).unwrap_err().to_string();
    assert_mentions(&message, &["failed to read recipe", "no-such-recipe.toml"]);
}
