//! Reads a `find` command line: its start points, whether it deletes (`-delete`), the commands
//! it runs (`-exec`, `-execdir`, `-ok`, `-okdir`), the name patterns it selects on, and the
//! files it writes (`-fprint`…). The analyser turns these into the rm, secret and data-dir
//! rules.

use super::words::Arg;

#[derive(Debug, Default)]
pub(crate) struct FindSpec {
    pub(crate) roots: Vec<Arg>,
    pub(crate) delete: bool,
    /// Each `-exec …` command, without its `;` or `+`.
    pub(crate) execs: Vec<Vec<Arg>>,
    /// `-name`, `-path`… patterns.
    pub(crate) names: Vec<Arg>,
    /// `-fprint` and friends.
    pub(crate) outputs: Vec<Arg>,
}

const NAME_TESTS: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-lname",
    "-ilname",
];
const OUTPUTS: &[&str] = &["-fprint", "-fprint0", "-fls", "-fprintf"];
const WITH_VALUE: &[&str] = &[
    "-type",
    "-xtype",
    "-maxdepth",
    "-mindepth",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-size",
    "-user",
    "-group",
    "-uid",
    "-gid",
    "-perm",
    "-newer",
    "-anewer",
    "-cnewer",
    "-samefile",
    "-inum",
    "-links",
    "-printf",
    "-fstype",
    "-used",
    "-context",
    "-files0-from",
    "-regex",
    "-iregex",
    "-regextype",
];

pub(crate) fn parse(args: &[Arg]) -> FindSpec {
    let mut spec = FindSpec::default();
    let mut i = 0;
    // Leading options -H -L -P -D opts -O<n>.
    while let Some(a) = args.get(i) {
        let s = a.lit();
        match s.as_str() {
            "-H" | "-L" | "-P" => i += 1,
            "-D" => i += 2,
            s if s.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    while let Some(a) = args.get(i) {
        let s = a.lit();
        if !a.dynamic && (s.starts_with('-') || matches!(s.as_str(), "(" | ")" | "!" | ",")) {
            break;
        }
        spec.roots.push(a.clone());
        i += 1;
    }
    while let Some(a) = args.get(i) {
        let s = a.lit();
        i += 1;
        match s.as_str() {
            "-delete" => spec.delete = true,
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let mut cmd = Vec::new();
                while let Some(b) = args.get(i) {
                    i += 1;
                    if b.is(";") || b.is("+") {
                        break;
                    }
                    cmd.push(b.clone());
                }
                spec.execs.push(cmd);
            }
            s if NAME_TESTS.contains(&s) => {
                if let Some(v) = args.get(i) {
                    spec.names.push(v.clone());
                }
                i += 1;
            }
            s if OUTPUTS.contains(&s) => {
                if let Some(v) = args.get(i) {
                    spec.outputs.push(v.clone());
                }
                i += if s == "-fprintf" { 2 } else { 1 };
            }
            s if WITH_VALUE.contains(&s) => i += 1,
            _ => {}
        }
    }
    spec
}
