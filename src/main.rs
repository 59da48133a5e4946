//! simlens: with a subcommand, the CLI; without one, the desktop explorer.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    #[cfg(feature = "gui")]
    simlens::app::mark_process_start();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = simlens::cli::Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Some(command) => {
            // Without it a write stopped by Ctrl-C would leave its temporary file behind.
            if let Err(e) = simlens::io::atomic::remove_temp_files_on_signal() {
                log::warn!("cannot watch for SIGINT/SIGTERM ({e}): a stopped write may leave a .tmp file");
            }
            simlens::cli::run(command).map_err(anyhow::Error::from)
        }
        #[cfg(feature = "gui")]
        None => simlens::app::run_native(),
        #[cfg(not(feature = "gui"))]
        None => {
            Err(anyhow::anyhow!("this build has no desktop app (feature `gui`); run `simlens --help` for the commands"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`simlens embed … | head`): like any Unix tool,
        // stop quietly, with the status a shell gives a program ended by SIGPIPE.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(141),
        Err(err) => {
            #[expect(clippy::print_stderr, reason = "the one place a fatal error is reported")]
            {
                eprintln!("error: {}", message(&err));
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: a message that already quotes its cause
/// (as "cannot write X: Is a directory" does) does not get it appended again.
fn message(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(broken_pipe)
}

/// Whether `e` is, or wraps, a write to a closed pipe. Writers such as the csv crate's
/// wrap the I/O error in their own, inside an `io::Error` of another kind.
fn broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        if io.kind() == std::io::ErrorKind::BrokenPipe {
            return true;
        }
        if io.get_ref().is_some_and(|inner| broken_pipe(inner)) {
            return true;
        }
    }
    if let Some(c) = e.downcast_ref::<csv::Error>()
        && let csv::ErrorKind::Io(io) = c.kind()
    {
        return io.kind() == std::io::ErrorKind::BrokenPipe;
    }
    false
}
