//! One module per subcommand: each turns validated settings into a report and an exit status.

pub mod audit;
pub mod demo;
pub mod dns;
pub mod explain;
pub mod generate;
pub mod send;
pub mod sink;
pub mod smtp;

/// What `main` maps to an exit code.
#[derive(Debug)]
pub enum Outcome {
    /// The run completed; `failed` means findings at or above --fail-on (exit 1).
    Completed { failed: bool },
    /// Usage or input error (exit 2).
    InputError(String),
    /// The audit could not run at all (exit 3).
    CannotRun(String),
}
