//! `sweep`: train and analyse every run of a recipe.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use grokking_ntk::backend::BackendKind;
use grokking_ntk::recipe::Recipe;
use grokking_ntk::report::{self, ReportTarget};
use grokking_ntk::sweep::{SweepOptions, SweepProgress, run_sweep, table::summary_table};

/// Train the runs of a recipe, analyse the NTK at every checkpoint and write the results.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Recipe file (TOML).
    #[arg(long, default_value = "experiments/paper.toml")]
    recipe: PathBuf,

    /// Backend: flex (pure-Rust CPU, default), wgpu (GPU through Vulkan, Metal or DX12),
    /// cuda (cargo feature `cuda`), ndarray (cargo feature `ndarray`; deprecated upstream, use flex).
    #[arg(long, default_value = "flex", value_parser = parse_backend)]
    backend: BackendKind,

    /// Results folder; runs go to <OUT>/<recipe name>/<run id>.
    #[arg(long, default_value = "results")]
    out: PathBuf,

    /// Number of runs trained at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    jobs: u32,

    /// Retrain runs that already finished.
    #[arg(long)]
    force: bool,

    /// Run only every N-th run of the grid starting at run I (0-based), as `I/N`; for job arrays
    /// such as Slurm's `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,

    /// Re-run only the NTK analysis of finished runs from their saved weights.
    #[arg(long)]
    analyse_only: bool,

    /// Hide the progress bars.
    #[arg(long)]
    no_progress: bool,

    /// Only render the figures and the report from the finished runs in --out, without training.
    #[arg(long)]
    report: bool,

    /// Folder for the figures and the report, written as DIR/README.md and DIR/figures/ (such as
    /// paper/); default: <OUT>/<recipe name>/report.md and <OUT>/<recipe name>/figures/.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
}

/// Renders the figures and the report of `recipe` from the results in `out`.
fn render_report(out: &std::path::Path, recipe: &str, report_dir: Option<&std::path::Path>) -> ExitCode {
    let target = match report_dir {
        Some(dir) => ReportTarget::standalone(dir),
        None => ReportTarget::beside_results(out, recipe),
    };
    // The binary's own path depends on the machine; show the documented way to run it.
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = format!("cargo run --release --bin sweep -- {}", arguments.join(" "));
    match report::render(out, recipe, &target, &command) {
        Ok(summary) => {
            println!(
                "report of {} runs: {} ({} figures in {})",
                summary.runs,
                summary.report.display(),
                summary.figures.len(),
                target.dir.join("figures").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: failed to render the report: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_backend(name: &str) -> Result<BackendKind, String> {
    name.parse().map_err(|e: grokking_ntk::Error| e.to_string())
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let invalid = || format!("expected I/N with 0 ≤ I < N, such as 0/4; got `{text}`");
    let (index, count) = text.split_once('/').ok_or_else(invalid)?;
    let index: usize = index.trim().parse().map_err(|_| invalid())?;
    let count: usize = count.trim().parse().map_err(|_| invalid())?;
    if count == 0 || index >= count {
        return Err(invalid());
    }
    Ok((index, count))
}

fn main() -> ExitCode {
    grokking_ntk::allocator::tune_for_tensor_buffers();
    let args = Args::parse();
    let recipe = match Recipe::from_file(&args.recipe) {
        Ok(recipe) => recipe,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if args.report {
        return render_report(&args.out, &recipe.name, args.report_dir.as_deref());
    }
    let options = SweepOptions {
        out: args.out.clone(),
        backend: args.backend,
        jobs: args.jobs as usize,
        force: args.force,
        shard: args.shard,
        analyse_only: args.analyse_only,
        progress: !args.no_progress,
    };
    let selected = recipe.shard(options.shard.map_or(0, |s| s.0), options.shard.map_or(1, |s| s.1)).count();
    let progress = SweepProgress::new(selected, options.progress);
    let writer = progress.clone();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(move || writer.log_writer())
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let report = match run_sweep(&recipe, &options, &progress) {
        Ok(report) => report,
        Err(error) => {
            progress.finish();
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    progress.finish();
    print!("{}", summary_table(&report));
    // Shards of a job array finish at different times and would write the same figure files, so
    // a sharded sweep leaves the report to a `--report` run after the last shard.
    let rendered = if args.shard.is_some() {
        println!("sharded sweep: render the report with --report once every shard has finished");
        ExitCode::SUCCESS
    } else {
        render_report(&args.out, &recipe.name, args.report_dir.as_deref())
    };
    let failures = report.failures();
    if failures > 0 {
        eprintln!("error: {failures} run(s) failed; see the log above");
        return ExitCode::FAILURE;
    }
    rendered
}
