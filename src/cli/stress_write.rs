//! `simlens stress-write` (hidden): the crash-safety test's writer.

use std::path::PathBuf;

use clap::Args;

use crate::Result;

/// Arguments of `simlens stress-write`.
#[derive(Debug, Args)]
pub struct StressWriteArgs {
    /// The file to rewrite.
    file: PathBuf,
}

/// Rewrites the file forever with self-checking content: a counter, a payload derived
/// from it, and the payload's length, so a torn write would be detected.
pub(super) fn run(args: &StressWriteArgs) -> Result<()> {
    for k in 0u64.. {
        let payload: String = (0..20_000).map(|i| char::from(b'a' + ((k + i) % 26) as u8)).collect();
        let json = serde_json::json!({ "k": k, "len": payload.len(), "payload": payload });
        crate::io::atomic_write(&args.file, |w| serde_json::to_writer(w, &json).map_err(std::io::Error::other))?;
    }
    Ok(())
}
