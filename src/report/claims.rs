//! The claims of *Feature Learning Dynamics under Grokking in a Sparse Parity Task* (Sanguino
//! Bautiste, Bachmann, He, Noci, Hofmann), each checked against the results by an explicit
//! criterion.
//!
//! Every claim is tested per seed, then per input dimension d, then overall:
//!
//! - A seed is *measurable* when the quantities the criterion needs exist (the key times it names
//!   were reached, the checkpoints between them are distinct, the analysis was run). A seed that
//!   is not measurable does not satisfy the criterion.
//! - A dimension d *holds* when more than half of its seeds satisfy the criterion, is *not
//!   measurable* when none of its seeds is, and *fails* otherwise.
//! - A claim *holds* when every measurable d holds, *fails* when none does, is *mixed* in between,
//!   and *not measurable* when no d is.
//!
//! Alignment distances D[a, b] are those of the analysis (the paper's uncentred "CKA"), and the
//! checkpoint of a key time is the first checkpoint at or after it.

use std::fmt;

use super::load::{AnalysisArrays, DimensionGroup, LoadedRun, RecipeResults};
use super::stats::{KeyTime, MeanStd, checkpoint_at_or_after};

/// Generalisation counts as grokking when t_g − t_m ≥ this × t_m: the wait after memorisation is
/// at least as long as memorisation took.
pub const GROKKING_DELAY_RATIO: f64 = 1.0;
/// Before t_s the linearised predictor counts as at chance when its test accuracy stays at or
/// below 0.5 + this.
pub const LINEARISED_CHANCE_MARGIN: f64 = 0.1;
/// After t_s the linearised predictor counts as risen when its best test accuracy exceeds its best
/// before t_s by at least this.
pub const LINEARISED_RISE: f64 = 0.2;
/// The NTK counts as lazy between t_m and t_s when no two checkpoints there are further apart than
/// this × D[t_s, t_g].
pub const LAZY_BLOCK_RATIO: f64 = 0.25;
/// The NTK counts as moving after t_s when its distance per step from t_s to t_g is at least this
/// × its distance per step from t_m to t_s.
pub const MOVE_RATIO: f64 = 2.0;
/// The NTK counts as settled when its distance per step over the settled window is at most this ×
/// its distance per step from t_s to t_g.
pub const SETTLE_RATIO: f64 = 0.25;
/// An eigenfunction counts as focused on the k relevant bits when its generative power is at
/// least this.
pub const CLEAN_FOCUS: f64 = 0.5;
/// Half-width of the window of eigenfunction indices around d that counts as "near d".
pub const NEAR_D_WINDOW: usize = 5;
/// Share of the training steps at the end whose checkpoints form the final window of the minimum
/// number of eigenfunctions.
pub const FINAL_WINDOW_FRACTION: f64 = 0.25;
/// The minimum number of eigenfunctions counts as converged when its range over the final window
/// is at most this many eigenfunctions or [`CONVERGED_RELATIVE_SPREAD`] of its last value,
/// whichever is larger.
pub const CONVERGED_ABSOLUTE_SPREAD: f64 = 2.0;
/// See [`CONVERGED_ABSOLUTE_SPREAD`].
pub const CONVERGED_RELATIVE_SPREAD: f64 = 0.1;

/// Outcome of a claim for one d or overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The criterion is met.
    Holds,
    /// The criterion is not met.
    Fails,
    /// Met for some d and not for others.
    Mixed,
    /// The results lack what the criterion needs.
    NotMeasurable,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::Mixed => "mixed",
            Verdict::NotMeasurable => "not measurable",
        })
    }
}

/// Claims of Sanguino Bautiste et al. that the report checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Test accuracy reaches 1 long after train accuracy does.
    GrokkingAfterMemorisation,
    /// The linearised predictor's test accuracy rises only after t_s.
    PredictorRisesAfterOnset,
    /// The NTK barely changes between t_m and t_s.
    LazyBlock,
    /// The NTK moves after t_s and settles after t_g.
    KernelMovesThenSettles,
    /// Leading eigenfunctions use the k relevant bits, the next ones the noisy bits, a few near
    /// index d the relevant bits again.
    EigenfunctionStructure,
    /// The minimum number of eigenfunctions for the target accuracy falls and converges.
    MinimumEigenfunctionsConverge,
    /// The index of the late relevant eigenfunctions follows d.
    RelevantIndexShiftsWithD,
}

impl Claim {
    /// Every claim, in the order the article makes them.
    pub const ALL: [Claim; 7] = [
        Claim::GrokkingAfterMemorisation,
        Claim::PredictorRisesAfterOnset,
        Claim::LazyBlock,
        Claim::KernelMovesThenSettles,
        Claim::EigenfunctionStructure,
        Claim::MinimumEigenfunctionsConverge,
        Claim::RelevantIndexShiftsWithD,
    ];

    /// Returns the claim as the article states it, with its figure.
    pub fn paper(self) -> &'static str {
        match self {
            Claim::GrokkingAfterMemorisation => {
                "Long after fitting the training data (t_m), test accuracy rises from chance to perfect (t_g)."
            }
            Claim::PredictorRisesAfterOnset => {
                "The accuracy of the linearised NTK predictor starts increasing only after t_s (Fig. 2c–d)."
            }
            Claim::LazyBlock => "Between t_m and t_s the NTK is lazy: it does not change at all (Fig. 2e, square 1).",
            Claim::KernelMovesThenSettles => {
                "After t_s the NTK starts changing, until a bit after t_g, then stabilises (Fig. 2e, squares 2–3)."
            }
            Claim::EigenfunctionStructure => {
                "At generalisation the first eigenfunctions focus on the k clean bits, the following ones on the \
                 noisy bits (g ≈ 0), and a few from about the d-th on the clean bits again (Fig. 3c, 6)."
            }
            Claim::MinimumEigenfunctionsConverge => {
                "The number of eigenfunctions needed for 99 % accuracy decreases through training and converges \
                 after t_g (Fig. 4)."
            }
            Claim::RelevantIndexShiftsWithD => {
                "Changing d shifts the index of the relevant late eigenfunctions to d (Sec. 3.2, App. D)."
            }
        }
    }

    /// Describes the criterion in words, with the constants' values.
    pub fn criterion(self) -> String {
        match self {
            Claim::GrokkingAfterMemorisation => format!(
                "t_m and t_g reached and t_g − t_m ≥ {GROKKING_DELAY_RATIO} × t_m."
            ),
            Claim::PredictorRisesAfterOnset => format!(
                "t_s reached; linearised test accuracy ≤ 0.5 + {LINEARISED_CHANCE_MARGIN} at every checkpoint \
                 before t_s, and its maximum from t_s on exceeds its maximum before t_s by ≥ {LINEARISED_RISE}."
            ),
            Claim::LazyBlock => format!(
                "t_m, t_s, t_g reached at distinct checkpoints; max D[a, b] over checkpoints a, b in [t_m, t_s] \
                 ≤ {LAZY_BLOCK_RATIO} × D[t_s, t_g]."
            ),
            Claim::KernelMovesThenSettles => format!(
                "t_m, t_s, t_g reached at distinct checkpoints; with rate = D / steps between checkpoints: \
                 rate(t_s, t_g) ≥ {MOVE_RATIO} × rate(t_m, t_s), and rate over the settled window (from the \
                 first checkpoint at or after (t_g + last step)/2 to the last) ≤ {SETTLE_RATIO} × rate(t_s, t_g)."
            ),
            Claim::EigenfunctionStructure => format!(
                "At the t_g checkpoint: mean g over i = 1..k ≥ {CLEAN_FOCUS}; mean g over i = k+1..d−{} \
                 < k/d (below the share of uniform saliency); max g over i = d−{NEAR_D_WINDOW}..d+{NEAR_D_WINDOW} \
                 ≥ {CLEAN_FOCUS}.",
                NEAR_D_WINDOW + 1
            ),
            Claim::MinimumEigenfunctionsConverge => format!(
                "On the test set (Fig. 4's caption), a count never reached counting as infinite: the last \
                 checkpoint's count is finite and below the first checkpoint's, and over the checkpoints in the \
                 last {:.0} % of training every count is finite and max − min ≤ max({CONVERGED_ABSOLUTE_SPREAD}, \
                 {CONVERGED_RELATIVE_SPREAD} × last count).",
                FINAL_WINDOW_FRACTION * 100.0
            ),
            Claim::RelevantIndexShiftsWithD => format!(
                "At the t_g checkpoint, i* = the first i > k with g_i ≥ {CLEAN_FOCUS} after some j in (k, i) \
                 with g_j < k/d; per seed |i* − d| ≤ {NEAR_D_WINDOW}; overall also needs ≥ 2 values of d and \
                 mean i* increasing with d."
            ),
        }
    }
}

/// Measured values of one seed for one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedFinding {
    /// Whether the criterion is met.
    pub satisfied: bool,
    /// Measured quantities, in the order of the claim's quantity names.
    pub values: Vec<f64>,
}

/// A claim's outcome for one d.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionFinding {
    /// Input bits d.
    pub d: usize,
    /// `(name, statistics over measurable seeds)` of every measured quantity.
    pub quantities: Vec<(&'static str, Option<MeanStd>)>,
    /// Seeds meeting the criterion.
    pub satisfied: usize,
    /// Seeds with what the criterion needs.
    pub measurable: usize,
    /// All seeds.
    pub seeds: usize,
    /// Verdict for this d.
    pub verdict: Verdict,
}

impl DimensionFinding {
    /// `d = 35: t_m = 150 ± 12, …; 5/5 seeds meet it` as one line.
    pub fn describe(&self) -> String {
        let quantities: Vec<String> = self
            .quantities
            .iter()
            .map(|(name, stats)| match stats {
                Some(stats) => format!("{name} = {}", stats.format(decimals(stats))),
                None => format!("{name}: –"),
            })
            .collect();
        let measurable = if self.measurable < self.seeds {
            format!(" ({} measurable)", self.measurable)
        } else {
            String::new()
        };
        format!(
            "d = {}: {}; {}/{} seeds meet it{measurable}",
            self.d,
            quantities.join(", "),
            self.satisfied,
            self.seeds
        )
    }
}

/// Digits after the point that show a quantity's scale.
fn decimals(stats: &MeanStd) -> usize {
    let magnitude = stats.mean.abs().max(stats.std);
    if magnitude >= 100.0 {
        0
    } else if magnitude >= 1.0 {
        1
    } else if magnitude >= 0.01 {
        3
    } else {
        5
    }
}

/// One row of the claims table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRow {
    /// The claim.
    pub claim: Claim,
    /// One finding per d.
    pub findings: Vec<DimensionFinding>,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Reason the overall verdict differs from the per-d ones, when it does.
    pub note: Option<String>,
}

/// Evaluates every claim on `results`.
pub fn evaluate_claims(results: &RecipeResults) -> Vec<ClaimRow> {
    Claim::ALL.iter().map(|&claim| evaluate_claim(claim, results)).collect()
}

/// Evaluates one claim on `results`.
pub fn evaluate_claim(claim: Claim, results: &RecipeResults) -> ClaimRow {
    let names = quantity_names(claim);
    let findings: Vec<DimensionFinding> = results
        .groups
        .iter()
        .map(|group| {
            let seeds: Vec<Option<SeedFinding>> = group.runs.iter().map(|run| seed_finding(claim, group, run)).collect();
            dimension_finding(group.d, names, &seeds)
        })
        .collect();
    let mut verdict = combine(findings.iter().map(|f| f.verdict));
    let mut note = None;
    if claim == Claim::RelevantIndexShiftsWithD && verdict != Verdict::NotMeasurable {
        let means: Vec<(usize, f64)> = findings
            .iter()
            .filter_map(|f| Some((f.d, f.quantities.first()?.1?.mean)))
            .collect();
        if means.len() < 2 {
            verdict = Verdict::NotMeasurable;
            note = Some("needs i* for at least two values of d".to_string());
        } else if !means.windows(2).all(|pair| pair[1].1 > pair[0].1) {
            verdict = if verdict == Verdict::Holds { Verdict::Mixed } else { verdict };
            note = Some("mean i* does not increase with d".to_string());
        } else {
            note = Some("mean i* increases with d".to_string());
        }
    }
    ClaimRow {
        claim,
        findings,
        verdict,
        note,
    }
}

/// Names of the quantities each claim measures per seed.
pub fn quantity_names(claim: Claim) -> &'static [&'static str] {
    match claim {
        Claim::GrokkingAfterMemorisation => &["t_m", "t_g", "(t_g − t_m)/t_m"],
        Claim::PredictorRisesAfterOnset => &["max f_lin test acc. before t_s", "max from t_s on"],
        Claim::LazyBlock => &["max D in [t_m, t_s]", "D[t_s, t_g]"],
        Claim::KernelMovesThenSettles => &["rate(t_m, t_s)", "rate(t_s, t_g)", "settled rate"],
        Claim::EigenfunctionStructure => &["mean g leading", "mean g middle", "max g near d"],
        Claim::MinimumEigenfunctionsConverge => &["count at t_g", "last count", "final-window spread"],
        Claim::RelevantIndexShiftsWithD => &["i*"],
    }
}

fn dimension_finding(d: usize, names: &'static [&'static str], seeds: &[Option<SeedFinding>]) -> DimensionFinding {
    let measured: Vec<&SeedFinding> = seeds.iter().flatten().collect();
    let satisfied = measured.iter().filter(|s| s.satisfied).count();
    let quantities = names
        .iter()
        .enumerate()
        .map(|(index, &name)| (name, MeanStd::of(measured.iter().filter_map(|s| s.values.get(index).copied()))))
        .collect();
    let verdict = if measured.is_empty() {
        Verdict::NotMeasurable
    } else if 2 * satisfied > seeds.len() {
        Verdict::Holds
    } else {
        Verdict::Fails
    };
    DimensionFinding {
        d,
        quantities,
        satisfied,
        measurable: measured.len(),
        seeds: seeds.len(),
        verdict,
    }
}

/// Combines per-d verdicts into the overall one.
fn combine(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let measurable: Vec<Verdict> = verdicts.filter(|v| *v != Verdict::NotMeasurable).collect();
    if measurable.is_empty() {
        Verdict::NotMeasurable
    } else if measurable.iter().all(|v| *v == Verdict::Holds) {
        Verdict::Holds
    } else if measurable.iter().all(|v| *v == Verdict::Fails) {
        Verdict::Fails
    } else {
        Verdict::Mixed
    }
}

/// Evaluates `claim` on one run; `None` when the run lacks what the criterion needs.
pub fn seed_finding(claim: Claim, group: &DimensionGroup, run: &LoadedRun) -> Option<SeedFinding> {
    match claim {
        Claim::GrokkingAfterMemorisation => grokking(run),
        Claim::PredictorRisesAfterOnset => predictor_rise(run),
        Claim::LazyBlock => lazy_block(run),
        Claim::KernelMovesThenSettles => moves_then_settles(run),
        Claim::EigenfunctionStructure => eigenfunction_structure(group, run),
        Claim::MinimumEigenfunctionsConverge => minimum_converges(run),
        Claim::RelevantIndexShiftsWithD => relevant_index(group, run),
    }
}

fn grokking(run: &LoadedRun) -> Option<SeedFinding> {
    let t_m = run.record.key_times.t_m? as f64;
    let Some(t_g) = run.record.key_times.t_g else {
        return Some(SeedFinding {
            satisfied: false,
            values: vec![t_m, f64::NAN, f64::NAN],
        });
    };
    let t_g = t_g as f64;
    let delay = (t_g - t_m) / t_m.max(1.0);
    Some(SeedFinding {
        satisfied: delay >= GROKKING_DELAY_RATIO,
        values: vec![t_m, t_g, delay],
    })
}

fn predictor_rise(run: &LoadedRun) -> Option<SeedFinding> {
    let t_s = run.record.key_times.t_s?;
    let checkpoints = &run.record.analysis.as_ref()?.checkpoints;
    let maximum = |before: bool| {
        checkpoints
            .iter()
            .filter(|c| (c.step < t_s) == before)
            .map(|c| c.linearised.test_accuracy)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let (before, after) = (maximum(true), maximum(false));
    if !before.is_finite() || !after.is_finite() {
        return None;
    }
    Some(SeedFinding {
        satisfied: before <= 0.5 + LINEARISED_CHANCE_MARGIN && after - before >= LINEARISED_RISE,
        values: vec![before, after],
    })
}

/// Checkpoint indices of t_m, t_s and t_g, when all three were reached and are distinct.
fn key_checkpoints(run: &LoadedRun, arrays: &AnalysisArrays) -> Option<(usize, usize, usize)> {
    let at = |key_time: KeyTime| checkpoint_at_or_after(&arrays.checkpoint_steps, key_time.step(&run.record)?);
    let (m, s, g) = (at(KeyTime::Memorisation)?, at(KeyTime::Onset)?, at(KeyTime::Generalisation)?);
    (m < s && s < g).then_some((m, s, g))
}

fn lazy_block(run: &LoadedRun) -> Option<SeedFinding> {
    let arrays = run.arrays.as_ref()?;
    let (m, s, g) = key_checkpoints(run, arrays)?;
    let distance = &arrays.alignment_distance;
    let mut lazy = 0.0_f64;
    for a in m..=s {
        for b in a..=s {
            lazy = lazy.max(distance[[a, b]]);
        }
    }
    let rich = distance[[s, g]];
    Some(SeedFinding {
        satisfied: lazy <= LAZY_BLOCK_RATIO * rich,
        values: vec![lazy, rich],
    })
}

fn moves_then_settles(run: &LoadedRun) -> Option<SeedFinding> {
    let arrays = run.arrays.as_ref()?;
    let (m, s, g) = key_checkpoints(run, arrays)?;
    let steps = &arrays.checkpoint_steps;
    let last = steps.len() - 1;
    let middle = (steps[g] + steps[last]) / 2;
    let settled_start = checkpoint_at_or_after(steps, middle)?;
    if settled_start >= last {
        return None;
    }
    let rate = |a: usize, b: usize| arrays.alignment_distance[[a, b]] / (steps[b] - steps[a]) as f64;
    let (lazy, rich, settled) = (rate(m, s), rate(s, g), rate(settled_start, last));
    Some(SeedFinding {
        satisfied: rich >= MOVE_RATIO * lazy && settled <= SETTLE_RATIO * rich,
        values: vec![lazy, rich, settled],
    })
}

/// Generative power at the t_g checkpoint.
fn power_at_generalisation(run: &LoadedRun) -> Option<Vec<f64>> {
    let arrays = run.arrays.as_ref()?;
    let checkpoint = checkpoint_at_or_after(&arrays.checkpoint_steps, run.record.key_times.t_g?)?;
    Some(arrays.generative_power.row(checkpoint).to_vec())
}

/// Mean of the finite values of `power` over 1-based indices `first..=last`.
fn mean_power(power: &[f64], first: usize, last: usize) -> Option<f64> {
    let values = power.get(first.max(1) - 1..last.min(power.len()))?;
    MeanStd::of(values.iter().copied()).map(|s| s.mean)
}

fn eigenfunction_structure(group: &DimensionGroup, run: &LoadedRun) -> Option<SeedFinding> {
    let power = power_at_generalisation(run)?;
    let (k, d) = (group.k, group.d);
    let middle_end = d.checked_sub(NEAR_D_WINDOW + 1)?;
    if middle_end <= k || power.len() < d {
        return None;
    }
    let leading = mean_power(&power, 1, k)?;
    let middle = mean_power(&power, k + 1, middle_end)?;
    let near = power[d - NEAR_D_WINDOW - 1..(d + NEAR_D_WINDOW).min(power.len())]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !near.is_finite() {
        return None;
    }
    let chance = k as f64 / d as f64;
    Some(SeedFinding {
        satisfied: leading >= CLEAN_FOCUS && middle < chance && near >= CLEAN_FOCUS,
        values: vec![leading, middle, near],
    })
}

fn minimum_converges(run: &LoadedRun) -> Option<SeedFinding> {
    let checkpoints = &run.record.analysis.as_ref()?.checkpoints;
    let first = checkpoints.first()?;
    let last = checkpoints.last()?;
    let count = |c: &crate::analysis::CheckpointSummary| c.min_eigenfunctions_test.map_or(f64::INFINITY, |v| v as f64);
    let window_start = (last.step as f64 * (1.0 - FINAL_WINDOW_FRACTION)).ceil() as usize;
    let window: Vec<f64> = checkpoints.iter().filter(|c| c.step >= window_start).map(count).collect();
    if window.len() < 2 {
        return None;
    }
    let at_generalisation = run
        .record
        .key_times
        .t_g
        .and_then(|t_g| checkpoints.iter().find(|c| c.step >= t_g))
        .map_or(f64::NAN, count);
    let (first_count, last_count) = (count(first), count(last));
    let high = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let low = window.iter().copied().fold(f64::INFINITY, f64::min);
    let spread = high - low;
    let converged =
        high.is_finite() && spread <= CONVERGED_ABSOLUTE_SPREAD.max(CONVERGED_RELATIVE_SPREAD * last_count);
    let falls = last_count.is_finite() && last_count < first_count;
    Some(SeedFinding {
        satisfied: falls && converged,
        values: vec![at_generalisation, last_count, spread],
    })
}

/// Finds the first i > k (1-based) with g_i ≥ [`CLEAN_FOCUS`] after some j in (k, i) with g_j < k/d.
pub fn late_relevant_index(power: &[f64], k: usize, d: usize) -> Option<usize> {
    let chance = k as f64 / d as f64;
    let mut seen_noisy = false;
    for (offset, &g) in power.iter().enumerate().skip(k) {
        if seen_noisy && g >= CLEAN_FOCUS {
            return Some(offset + 1);
        }
        if g < chance {
            seen_noisy = true;
        }
    }
    None
}

fn relevant_index(group: &DimensionGroup, run: &LoadedRun) -> Option<SeedFinding> {
    let power = power_at_generalisation(run)?;
    let Some(index) = late_relevant_index(&power, group.k, group.d) else {
        return Some(SeedFinding {
            satisfied: false,
            values: vec![f64::NAN],
        });
    };
    Some(SeedFinding {
        satisfied: index.abs_diff(group.d) <= NEAR_D_WINDOW,
        values: vec![index as f64],
    })
}
