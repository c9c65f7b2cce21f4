//! `hardpin completions <shell>` and `hardpin man`: generated from the clap
//! definitions in [`crate::cli`] at run time, so they can never drift from
//! the options the binary actually takes.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::pipeline::{EXIT_ERROR, EXIT_OK};

/// Write the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
    out.flush()
}

/// Write one man page for the whole command line: hardpin(1)'s name,
/// synopsis and options as clap_mangen renders them, then a section per
/// subcommand with its synopsis, description and options. One page rather than one per subcommand, so
/// `hardpin man > hardpin.1` is all there is to install.
pub fn man(out: &mut dyn Write) -> std::io::Result<()> {
    // `help` is clap's, and `--help` says the same.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building sets each subcommand's full name (`hardpin fix`) for its
    // synopsis.
    cmd.build();
    let top = clap_mangen::Man::new(cmd.clone());
    top.render_title(out)?;
    top.render_name_section(out)?;
    top.render_synopsis_section(out)?;
    top.render_description_section(out)?;
    top.render_options_section(out)?;
    // Not clap_mangen's SUBCOMMANDS section: it points at hardpin-fix(1)
    // and the like, pages that do not exist; the sections below are them.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = clap_mangen::Man::new(sub.clone());
        let mut body = Vec::new();
        page.render_synopsis_section(&mut body)?;
        page.render_description_section(&mut body)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut body)?;
        }
        let title = format!("hardpin {}", sub.get_name()).to_uppercase();
        writeln!(out, ".SH \"{title}\"")?;
        out.write_all(&subsections(&body))?;
    }
    top.render_version_section(out)?;
    out.flush()
}

/// Demote a rendered page's sections (`.SH`) to subsections (`.SS`), to
/// nest them under their subcommand. roff escapes text lines that start
/// with a dot, so only macro lines can match.
fn subsections(roff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&b| b == b'\n') {
        match line.strip_prefix(b".SH ") {
            Some(rest) => {
                out.extend_from_slice(b".SS ");
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// Run `write` on stdout. A closed pipe (`hardpin man | head`) is not an
/// error: the reader has all it wanted.
pub fn print(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write(&mut out) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!(
                "{}",
                crate::render::error("output", &e.to_string(), "check where stdout goes")
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_become_subsections_and_nothing_else_changes() {
        let page = b".SH NAME\nx \\- y\n\\&.SH not a macro\n.SH OPTIONS\n";
        assert_eq!(
            subsections(page),
            b".SS NAME\nx \\- y\n\\&.SH not a macro\n.SS OPTIONS\n"
        );
    }

    #[test]
    fn every_subcommand_has_its_section() {
        let mut out = Vec::new();
        man(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        for name in ["FIX", "UPDATE", "PR", "COMPLETIONS", "MAN"] {
            assert!(page.contains(&format!(".SH \"HARDPIN {name}\"")), "{name}");
        }
        assert!(page.contains("\\-\\-dry\\-run"), "fix's options are listed");
    }
}
