//! simlens: with a subcommand, the CLI; without one, the desktop explorer.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    #[cfg(feature = "gui")]
    simlens::app::mark_process_start();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = simlens::cli::Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Some(command) => simlens::cli::run(command).map_err(anyhow::Error::from),
        #[cfg(feature = "gui")]
        None => simlens::app::run_native(),
        #[cfg(not(feature = "gui"))]
        None => {
            Err(anyhow::anyhow!("this build has no desktop app (feature `gui`); run `simlens --help` for the commands"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[expect(clippy::print_stderr, reason = "the one place a fatal error is reported")]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}
