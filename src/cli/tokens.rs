//! `simlens tokens`: what the model's tokenizer makes of a sentence (or a pair).

use std::path::PathBuf;

use clap::Args;

use super::common::write_out;
use crate::Result;
use crate::engine;

/// Arguments of `simlens tokens`.
#[derive(Debug, Args)]
pub struct TokensArgs {
    /// The sentence.
    text: String,
    /// A second sentence, to see a pair's segment ids.
    #[arg(long)]
    pair: Option<String>,
    /// Model folder, or a Hugging Face id (`ORG/NAME[@REVISION]`) from the local hub cache
    /// (default: the bundled all-MiniLM-L6-v2).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print JSON instead of aligned text.
    #[arg(long)]
    json: bool,
}

/// Prints the tokens, ids, attention mask and segment ids.
pub(super) fn run(args: &TokensArgs) -> Result<()> {
    let dir = args.model.clone().unwrap_or_else(engine::bundled_model_dir);
    // Tokens need only the tokenizer, not ONNX Runtime.
    let folder = engine::ModelFolder::open(&dir)?;
    let tok = engine::tokenize::TextTokenizer::from_file(&folder.tokenizer, folder.max_length)?;
    let info = match &args.pair {
        Some(b) => tok.encode_pair(&args.text, b)?,
        None => tok.encode(&args.text)?,
    };
    write_out(None, false, |w| {
        if args.json {
            serde_json::to_writer_pretty(&mut *w, &info)?;
            return writeln!(w);
        }
        let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
        writeln!(w, "model:     {}", folder.name)?;
        writeln!(w, "tokens:    {}", info.tokens.join(" "))?;
        writeln!(w, "ids:       {}", join(&info.ids))?;
        writeln!(w, "mask:      {}", join(&info.attention_mask))?;
        writeln!(w, "segments:  {}", join(&info.type_ids))?;
        if info.truncated {
            writeln!(w, "(truncated to {} tokens)", tok.max_length())?;
        }
        Ok(())
    })
}
