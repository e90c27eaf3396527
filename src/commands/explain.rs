//! `mailpreflight explain CODE` and `explain --list`.

use super::Outcome;
use crate::cli::ExplainArgs;
use crate::report::{catalogue, explain};
use std::io::Write;

pub fn run(args: ExplainArgs, out: &mut dyn Write) -> std::io::Result<Outcome> {
    if args.list {
        out.write_all(explain::list().as_bytes())?;
        return Ok(Outcome::Completed { failed: false });
    }
    let code = args.code.unwrap_or_default();
    match catalogue::find(code.trim()) {
        Some(info) => {
            out.write_all(explain::explain(info).as_bytes())?;
            Ok(Outcome::Completed { failed: false })
        }
        None => Ok(Outcome::InputError(format!(
            "no such finding code: {code} (see `mailpreflight explain --list`)"
        ))),
    }
}
