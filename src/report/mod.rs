//! Figures and a reproduction report rendered from a recipe's results alone, without training.
//!
//! [`render`] reads every finished run under `<out>/<recipe>/` and groups the runs by input
//! dimension d. It draws the figures of Sanguino Bautiste et al., *Feature Learning Dynamics under
//! Grokking in a Sparse Parity Task*, and of the analyses beyond it as SVG files into
//! `<report dir>/figures/`. It then checks the article's claims against the measurements and
//! writes a Markdown report with both.

pub mod claims;
pub mod figures;
pub mod load;
pub mod markdown;
pub mod plot;
pub mod stats;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::write_atomically;

pub use claims::{Claim, ClaimRow, Verdict, evaluate_claims};
pub use load::{RecipeResults, load_recipe_results};

/// Files written by [`render`] and the claims it evaluated.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The Markdown report.
    pub report: PathBuf,
    /// Every SVG figure written.
    pub figures: Vec<PathBuf>,
    /// The claims table.
    pub claims: Vec<ClaimRow>,
    /// Number of runs read.
    pub runs: usize,
}

/// Destination of a report: its folder and file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    /// Folder of the report; figures go to its `figures/` subfolder.
    pub dir: PathBuf,
    /// File name of the report inside `dir`.
    pub file_name: String,
}

impl ReportTarget {
    /// Targets `<out>/<recipe>/report.md`, beside the results.
    pub fn beside_results(out: &Path, recipe: &str) -> Self {
        Self {
            dir: out.join(recipe),
            file_name: "report.md".to_string(),
        }
    }

    /// Targets a standalone report folder such as `paper/` as `<dir>/README.md`, so the folder opens on it.
    pub fn standalone(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            file_name: "README.md".to_string(),
        }
    }
}

/// Renders the figures and the report of recipe `recipe` from the results under `out`.
///
/// `command` is the command line that produced the report; it is printed in the report.
///
/// # Errors
/// [`Error::Results`] when there is no finished run or a results file is malformed, and
/// [`Error::Io`] when a file cannot be read, drawn or written.
pub fn render(out: &Path, recipe: &str, target: &ReportTarget, command: &str) -> Result<ReportSummary> {
    let results = load_recipe_results(out, recipe)?;
    let figures_dir = target.dir.join("figures");
    fs::create_dir_all(&figures_dir).map_err(|e| Error::io("failed to create folder", &figures_dir, e))?;
    let figures = figures::render_figures(&results, &figures_dir)?;
    let claims = evaluate_claims(&results);
    let other_reports = nested_reports(&target.dir);
    let text = markdown::report_markdown(&results, &claims, &target.dir, &figures_dir, command, &other_reports);
    let report = target.dir.join(&target.file_name);
    write_atomically(&report, |writer| std::io::Write::write_all(writer, text.as_bytes()))?;
    Ok(ReportSummary {
        report,
        figures,
        claims,
        runs: results.runs().count(),
    })
}

/// Names of the subfolders of `dir` that hold a `README.md`, sorted.
fn nested_reports(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|entry| entry.path().join("README.md").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
