//! Feature learning under grokking, studied through the empirical neural tangent kernel (NTK).
//!
//! A bias-free MLP trained with full-batch Adam and an L1 penalty on a (k, d)-sparse parity task
//! first memorises its training set and generalises much later ("grokking"). This crate trains such
//! networks from declarative recipes on any burn backend and analyses the NTK at every checkpoint.
//!
//! - [`task`]: the sparse parity data.
//! - [`model`]: the MLP, its architecture and host-side weights.
//! - [`training`]: loss, Adam, key times t_m, t_s, t_g and the training loop.
//! - [`recipe`]: TOML recipes, grids of runs and their validation.
//! - [`results`]: the run folder layout, JSON records and `.npy` arrays.
//! - [`sweep`]: running a grid of runs, resumable and in parallel.
//! - [`backend`]: choosing a burn backend at run time.

pub mod allocator;
pub mod analysis;
pub mod backend;
pub mod eigen;
pub mod error;
pub mod model;
pub mod ntk;
pub mod recipe;
pub mod report;
pub mod results;
pub mod sweep;
pub mod task;
pub mod training;

pub use error::{Error, FieldError, Result};
