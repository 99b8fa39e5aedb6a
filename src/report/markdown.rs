//! The reproduction report as Markdown: provenance, key times, the claims table and the figures.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::claims::{ClaimRow, quantity_names};
use super::figures::{ANALYSIS_FIGURES, TRAINING_FIGURES, figure_path};
use super::load::RecipeResults;
use super::stats::{KeyTime, KeyTimeStats, MeanStd, format_optional};

/// Captions of the figures, by file name (without `d<d>-` and `.svg`).
fn figure_caption(name: &str) -> &'static str {
    match name {
        "training-accuracy" => "Train and test accuracy per step (paper Fig. 1, 2a).",
        "training-loss" => "Train and test BCE loss per step (paper Fig. 1, 2b).",
        "linearised-accuracy" => "Accuracy of the linearised NTK predictor at each checkpoint (paper Fig. 2c).",
        "linearised-loss" => "MSE of the linearised NTK predictor at each checkpoint (paper Fig. 2d).",
        "alignment-distance" => "Alignment distance between the NTKs of every pair of checkpoints (paper Fig. 2e).",
        "accumulated-accuracy-train" => "Train accuracy of the first i eigenfunctions at t_0, t_m, t_s, t_g (paper Fig. 3a).",
        "accumulated-accuracy-test" => "Test accuracy of the first i eigenfunctions at t_0, t_m, t_s, t_g (paper Fig. 3b).",
        "generative-power" => "Generative power of each eigenfunction at t_0, t_m, t_s, t_g (paper Fig. 3c).",
        "min-eigenfunctions" => "Minimum number of eigenfunctions reaching the target accuracy (paper Fig. 4).",
        "w1" => "First-layer weights at t_0, t_m, t_s, t_g (paper Fig. 5).",
        "saliency" => "Row-normalised saliency maps of the leading eigenfunctions (paper Fig. 6).",
        "kernel-target-alignment" => "Centred kernel–target alignment (beyond the paper).",
        "parameter-distance" => "Relative distance of the parameters from the first checkpoint (beyond the paper).",
        "ntk-movement" => "Alignment distance of the NTK to the previous checkpoint (beyond the paper).",
        "ntk-relative-change" => "Relative Frobenius change of the NTK since the previous checkpoint (beyond the paper).",
        "layer-trace-shares" => "Each layer's share of the NTK trace (beyond the paper).",
        _ => "",
    }
}

/// Writes the report text for `results`, with figure links relative to `report_dir`.
pub fn report_markdown(
    results: &RecipeResults,
    claims: &[ClaimRow],
    report_dir: &Path,
    figures_dir: &Path,
    command: &str,
    other_reports: &[String],
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Reproduction report: recipe `{}`\n", results.recipe);
    let _ = writeln!(
        text,
        "Generated from the results in `{}` alone; rerun the command below to regenerate this page and \
         its figures.\n",
        results.folder.display()
    );
    write_provenance(&mut text, results, command);
    write_key_times(&mut text, results);
    write_claims(&mut text, claims);
    write_figures(&mut text, results, report_dir, figures_dir);
    if !other_reports.is_empty() {
        let _ = writeln!(text, "## Other reports in this folder\n");
        for name in other_reports {
            let _ = writeln!(text, "- [{name}]({name}/README.md)");
        }
        text.push('\n');
    }
    text
}

fn distinct<T: Ord>(values: impl Iterator<Item = T>) -> BTreeSet<T> {
    values.collect()
}

fn write_provenance(text: &mut String, results: &RecipeResults, command: &str) {
    let records: Vec<_> = results.runs().map(|r| &r.record).collect();
    let join = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>().join(", ");
    let versions = join(distinct(records.iter().map(|r| r.crate_version.clone())));
    let backends = join(distinct(records.iter().map(|r| r.backend.to_string())));
    let machines = join(distinct(
        records
            .iter()
            .map(|r| format!("{} {}, {} CPUs", r.machine.os, r.machine.arch, r.machine.cpus)),
    ));
    let precisions = join(distinct(
        records
            .iter()
            .filter_map(|r| r.analysis.as_ref())
            .map(|a| format!("{:?} kernel, {}", a.kernel, a.precision).to_lowercase()),
    ));

    let _ = writeln!(text, "## Provenance\n");
    let _ = writeln!(text, "| | |\n|---|---|");
    let _ = writeln!(text, "| runs | {} |", records.len());
    let _ = writeln!(text, "| grokking-ntk version of the runs | {versions} |");
    let _ = writeln!(text, "| grokking-ntk version of this report | {} |", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(text, "| backend | {backends} |");
    let _ = writeln!(text, "| machine | {machines} |");
    if !precisions.is_empty() {
        let _ = writeln!(text, "| NTK analysis | {precisions} |");
    }

    if let Some(first) = records.first() {
        let c = &first.config;
        let _ = writeln!(
            text,
            "| setup (first run) | k = {}, n_train = {}, n_test = {}, depth {}, width {}, {} parameterisation, \
             Adam lr {}, λ1 = {}, λ2 = {}, {} steps |",
            c.task.k,
            c.task.n_train,
            c.task.n_test,
            c.model.depth,
            c.model.width,
            format!("{:?}", c.model.parameterisation).to_lowercase(),
            c.optimiser.lr,
            c.optimiser.l1,
            c.optimiser.l2,
            c.training.steps
        );
    }
    let _ = writeln!(
        text,
        "| trained by | `cargo run --release --bin sweep -- --recipe experiments/{}.toml --backend {backends}` \
         (run.json records the recipe's name, not its path) |",
        results.recipe
    );
    let _ = writeln!(text, "| report by | `{command}` |\n");
}

fn write_key_times(text: &mut String, results: &RecipeResults) {
    let _ = writeln!(text, "## Key times\n");
    let _ = writeln!(
        text,
        "Mean ± standard deviation over the seeds that reached each time (steps); the count says how many \
         did. t_m: first step with train accuracy 1; t_s: onset of the rise in test accuracy; t_g: first step \
         with test accuracy at the recipe's `generalized_accuracy`.\n"
    );
    let _ = writeln!(text, "| d | seeds | t_m | t_s | t_g | final train acc. | final test acc. |");
    let _ = writeln!(text, "|---|---|---|---|---|---|---|");
    for group in &results.groups {
        let cell = |key_time: KeyTime| {
            let stats = KeyTimeStats::of(key_time, group.records());
            format!("{} ({}/{})", format_optional(stats.steps, 0), stats.reached, stats.runs)
        };
        let final_accuracy = |test: bool| {
            MeanStd::of(group.records().filter_map(|r| {
                let last = r.final_metrics()?;
                Some(if test { last.test_accuracy } else { last.train_accuracy })
            }))
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} |",
            group.d,
            group.runs.len(),
            cell(KeyTime::Memorisation),
            cell(KeyTime::Onset),
            cell(KeyTime::Generalisation),
            format_optional(final_accuracy(false), 3),
            format_optional(final_accuracy(true), 3)
        );
    }
    let missing: Vec<String> = results
        .runs()
        .filter_map(|run| {
            let absent: Vec<&str> = KeyTime::MARKED
                .iter()
                .filter(|k| k.step(&run.record).is_none())
                .map(|k| k.symbol())
                .collect();
            (!absent.is_empty()).then(|| format!("`{}` ({} not reached)", run.record.run_id, absent.join(", ")))
        })
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(text, "\nRuns with absent key times: {}.", missing.join(", "));
    }
    text.push('\n');
}

fn write_claims(text: &mut String, claims: &[ClaimRow]) {
    let _ = writeln!(text, "## Claims\n");
    let _ = writeln!(
        text,
        "The claims of *Feature Learning Dynamics under Grokking in a Sparse Parity Task* (Sanguino Bautiste, \
         Bachmann, He, Noci, Hofmann), with figure numbers as in that article.\n"
    );
    let _ = writeln!(
        text,
        "Each claim is checked per seed by the criterion listed under the table. A value of d holds when more \
         than half of its seeds meet the criterion (a seed without the needed key times or analysis does not \
         meet it); a claim holds when every measurable d holds, fails when none does and is mixed otherwise. \
         Quantities are mean ± std over the seeds where they are measured.\n"
    );
    let _ = writeln!(text, "| # | the paper says | measured | verdict |");
    let _ = writeln!(text, "|---|---|---|---|");
    for (index, row) in claims.iter().enumerate() {
        let mut measured: Vec<String> = row.findings.iter().map(|f| format!("{} ({})", f.describe(), f.verdict)).collect();
        if let Some(note) = &row.note {
            measured.push(note.clone());
        }
        let _ = writeln!(
            text,
            "| {} | {} | {} | **{}** |",
            index + 1,
            escape(row.claim.paper()),
            escape(&measured.join("<br>")),
            row.verdict
        );
    }
    let _ = writeln!(text, "\nCriteria (D = alignment distance between checkpoint NTKs, g = generative power):\n");
    for (index, row) in claims.iter().enumerate() {
        let names = quantity_names(row.claim).join(", ");
        let _ = writeln!(text, "{}. {} Measured: {names}.", index + 1, escape(&row.claim.criterion()));
    }
    text.push('\n');
}

/// Escapes the characters that end a Markdown table cell.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn write_figures(text: &mut String, results: &RecipeResults, report_dir: &Path, figures_dir: &Path) {
    let _ = writeln!(text, "## Figures\n");
    let _ = writeln!(
        text,
        "Curves: mean over seeds with a ± 1 std band. Dashed vertical lines: t_m, t_s, t_g at their mean over \
         the seeds that reached them; the legend gives mean ± std and the count, or says \"not reached\". \
         Heatmaps of weights and saliency show one seed, named in the title.\n"
    );
    for group in &results.groups {
        let _ = writeln!(text, "### d = {}\n", group.d);
        let analysed = group.runs.iter().any(|run| run.arrays.is_some());
        let names = TRAINING_FIGURES
            .iter()
            .chain(ANALYSIS_FIGURES.iter().filter(|_| analysed));
        for name in names {
            let path = figure_path(figures_dir, group.d, name);
            if !path.is_file() {
                continue;
            }
            let link = path.strip_prefix(report_dir).unwrap_or(&path);
            let _ = writeln!(text, "{}\n\n![{name}]({})\n", figure_caption(name), link.display());
        }
        if !analysed {
            let _ = writeln!(text, "The runs of d = {} have no NTK analysis.\n", group.d);
        }
    }
}
