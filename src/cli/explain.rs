//! `simlens explain`: which tokens make two sentences, or two groups, similar.

use std::io::Write;
use std::path::Path;

use clap::Args;

use super::args::ModelArgs;
use super::common::{load, read_set, warn, write_out};
use crate::engine::Embedder as _;
use crate::engine::explain::{self, Explanation, GroupExplanation, Method};
use crate::{Error, Result};

/// Arguments of `simlens explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Two sentences; or, with --groups, one sentence file.
    #[arg(required = true, num_args = 1..=2)]
    texts: Vec<String>,
    /// Explain the mean similarity of these two groups of INPUT (the same name twice:
    /// what holds one group together).
    #[arg(long, num_args = 2, value_names = ["NAME_A", "NAME_B"])]
    groups: Option<Vec<String>>,
    /// How many tokens (token pairs) to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    model: ModelArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Explains a pair of sentences, or (with `--groups`) two groups of the file `texts[0]`.
pub(super) fn run(cmd: &ExplainArgs) -> Result<()> {
    let (texts, groups, top, json) = (cmd.texts.as_slice(), cmd.groups.as_deref(), cmd.top, cmd.json);
    let args = &cmd.model;
    match (groups, texts) {
        (Some(names), [input]) => explain_groups(Path::new(input), names, top, args, json),
        (Some(_), _) => {
            Err(Error::input(None, "with --groups, give one sentence file: simlens explain FILE --groups A B"))
        }
        (None, [a, b]) => explain_pair(a, b, top, args, json),
        (None, _) => Err(Error::input(None, "give two sentences: simlens explain \"TEXT A\" \"TEXT B\"")),
    }
}

fn explain_pair(a: &str, b: &str, top: usize, args: &ModelArgs, json: bool) -> Result<()> {
    for (name, text) in [("A", a), ("B", b)] {
        if text.trim().is_empty() {
            return Err(Error::input(None, format!("sentence {name} is blank: give two sentences with words in them")));
        }
    }
    let (mut embedder, pooling) = load(args)?;
    // The same note `similarity` and `embed` print: the score is of the sentences' start.
    let cut: Vec<&str> = [("A", a), ("B", b)]
        .into_iter()
        .filter(|(_, t)| embedder.tokens(t).is_ok_and(|i| i.truncated))
        .map(|(n, _)| n)
        .collect();
    if !cut.is_empty() {
        warn(&format!(
            "note: {} sentence(s) longer than {} tokens were truncated ({}); the explanation is of their start",
            cut.len(),
            embedder.info().max_length,
            cut.iter().map(|n| format!("sentence {n}")).collect::<Vec<_>>().join(", ")
        ));
    }
    let x = explain::explain(&mut embedder, a, b, pooling)?;
    let model = embedder.info().name.clone();
    write_out(None, false, |w| {
        if json {
            let mut v = serde_json::to_value(&x).map_err(std::io::Error::other)?;
            v["model"] = serde_json::json!(model);
            v["pooling"] = serde_json::json!(pooling.as_str());
            serde_json::to_writer_pretty(&mut *w, &v)?;
            return writeln!(w);
        }
        pair_text(w, &x, &model, pooling, top)
    })
}

fn pair_text(
    w: &mut dyn Write,
    x: &Explanation,
    model: &str,
    pooling: crate::engine::Pooling,
    top: usize,
) -> std::io::Result<()> {
    writeln!(w, "score {:.4}  ({model}, {pooling} pooling, {})", x.score, x.method.as_str())?;
    match x.method {
        Method::Exact => {
            writeln!(w, "exact: the token-pair contributions add up to the score")?;
            writeln!(w, "\ntop token pairs (special tokens left out; they carry {:+.4}):", x.special_share())?;
            for p in x.top_pairs(top, true) {
                let share = if x.score != 0.0 { p.value / x.score * 100.0 } else { 0.0 };
                writeln!(
                    w,
                    "  {:>12} ↔ {:<12} {:+.4}  {share:5.1}% of {:.3}",
                    x.tokens_a[p.i], x.tokens_b[p.j], p.value, x.score
                )?;
            }
        }
        Method::Occlusion => {
            writeln!(w, "occlusion estimate: score − score without the token; these do not add up to the score")?;
        }
    }
    for (name, tokens, scores) in [("A", &x.tokens_a, &x.token_scores_a), ("B", &x.tokens_b, &x.token_scores_b)] {
        writeln!(w, "\nsentence {name}:")?;
        for (t, s) in tokens.iter().zip(scores.iter()) {
            writeln!(w, "  {t:<16} {s:+.4}")?;
        }
    }
    Ok(())
}

fn explain_groups(input: &Path, names: &[String], top: usize, args: &ModelArgs, json: bool) -> Result<()> {
    let set = read_set(input)?;
    let find = |name: &str| {
        set.groups.iter().position(|g| g.name == name).ok_or_else(|| {
            let known: Vec<&str> = set.groups.iter().map(|g| g.name.as_str()).collect();
            Error::Input {
                path: Some(input.to_path_buf()),
                line: None,
                message: format!("no group named “{name}”; the groups are: {}", known.join(", ")),
            }
        })
    };
    let (ga, gb) = (find(&names[0])?, find(&names[1])?);
    let (mut embedder, pooling) = load(args)?;
    if pooling != crate::engine::Pooling::Mean {
        return Err(Error::input(
            None,
            format!("group explanations are exact for mean pooling only; this run uses {pooling}: add --pooling mean"),
        ));
    }
    let texts = |g: usize| {
        set.groups[g].sentences.iter().map(String::as_str).filter(|s| !s.trim().is_empty()).collect::<Vec<_>>()
    };
    let x = explain::explain_groups(&mut embedder, &texts(ga), &texts(gb), ga == gb)?;
    write_out(None, false, |w| {
        if json {
            let mut v = serde_json::to_value(&x).map_err(std::io::Error::other)?;
            v["model"] = serde_json::json!(embedder.info().name);
            v["groups"] = serde_json::json!([names[0], names[1]]);
            v["tokens"] = serde_json::json!(x.tokens.iter().take(top).collect::<Vec<_>>());
            serde_json::to_writer_pretty(&mut *w, &v)?;
            return writeln!(w);
        }
        group_text(w, &x, &names[0], &names[1], top)
    })
}

fn group_text(w: &mut dyn Write, x: &GroupExplanation, a: &str, b: &str, top: usize) -> std::io::Result<()> {
    let what = if a == b {
        format!("what holds “{a}” together")
    } else {
        format!("what ties “{a}” to “{b}” (from the tokens of “{a}”)")
    };
    writeln!(w, "mean similarity {:.4}: {what}", x.score)?;
    writeln!(
        w,
        "exact: every token occurrence's contribution adds up to the score; special tokens carry {:+.4}",
        x.special
    )?;
    for t in x.tokens.iter().filter(|t| !t.special).take(top) {
        let share = if x.score != 0.0 { t.value / x.score * 100.0 } else { 0.0 };
        writeln!(w, "  {:<16} {:+.4}  {share:5.1}%  ×{}", t.token, t.value, t.count)?;
    }
    Ok(())
}
