//! The commands of a `run:` script as the checks judge them: split the way
//! the permissions analysis splits them (so both read a script alike), with
//! the program named by its file name and `python -m pip` read as `pip`.

use crate::transforms::permissions::commands::{program, simple_commands};

/// One simple command: the program and the words after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub program: String,
    pub args: Vec<String>,
}

impl Command {
    /// The first argument, the subcommand of tools like `npm` or `git`.
    pub fn sub(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }

    /// Whether `flag` is given, alone or as `flag=value`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.args
            .iter()
            .any(|a| a == flag || a.strip_prefix(flag).is_some_and(|r| r.starts_with('=')))
    }

    /// The words after the subcommand that are not flags.
    pub fn operands(&self) -> impl Iterator<Item = &str> {
        self.args
            .iter()
            .skip(1)
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
    }

    /// The command as written, for messages.
    pub fn shown(&self, words: usize) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .take(words)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The commands of `script`.
pub fn commands(script: &str) -> Vec<Command> {
    simple_commands(script)
        .into_iter()
        .filter_map(|words| {
            let mut prog = program(&words).to_string();
            let mut args: Vec<String> = words.into_iter().skip(1).collect();
            if is_python(&prog) && args.first().is_some_and(|a| a == "-m") && args.len() > 1 {
                prog = args[1].clone();
                args.drain(..2);
            }
            if prog == "pip3" {
                prog = "pip".into();
            }
            (!prog.is_empty()).then_some(Command {
                program: prog,
                args,
            })
        })
        .collect()
}

fn is_python(prog: &str) -> bool {
    prog == "python"
        || prog
            .strip_prefix("python3")
            .is_some_and(|v| v.is_empty() || v.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_and_python_modules() {
        let c = commands("cd web && sudo npm ci\npython3 -m pip install -r req.txt | tee log");
        let progs: Vec<&str> = c.iter().map(|c| c.program.as_str()).collect();
        assert_eq!(progs, ["cd", "npm", "pip", "tee"]);
        assert_eq!(c[2].sub(), "install");
        assert!(c[2].has_flag("-r"));
        assert_eq!(c[2].operands().collect::<Vec<_>>(), ["req.txt"]);
        assert_eq!(c[2].shown(3), "pip install -r");
        assert!(
            commands("python3.12 -m")
                .iter()
                .all(|c| c.program == "python3.12")
        );
    }
}
