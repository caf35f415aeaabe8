//! What known programs do with their arguments, for the secret and data-dir rules: which
//! never read file content, which read their file arguments, which take a pattern or program
//! first, which options take a value, and which git subcommands read the paths they are given.

pub(crate) const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish"];

/// Commands whose arguments never expose a file's content (listing, testing, creating,
/// deleting, changing modes, using a key without printing it).
#[rustfmt::skip]
pub(crate) const NON_READING: &[&str] = &[
    "echo", "printf", "ls", "dir", "vdir", "tree", "exa", "eza", "lsd", "cd", "pushd", "popd",
    "test", "[", "[[", "touch", "mkdir", "rmdir", "rm", "unlink", "shred", "chmod", "chown",
    "chgrp", "stat", "file", "which", "whereis", "type", "realpath", "readlink", "basename",
    "dirname", "du", "df", "true", "false", "exit", "return", "export", "unset", "declare",
    "local", "readonly", "typeset", "alias", "ssh", "ssh-add", "ssh-keygen", "tee", "trash",
    "trash-put", "kill", "sleep", "date", "pwd", "whoami", "hostname", "uname", "set", "shift",
    "wait", "umask", "ulimit", "hash", "trap", "read", "getopts", ":", "mktemp", "seq", "yes",
];

/// Commands that read their file arguments: an argument computed at run time is unknown.
#[rustfmt::skip]
pub(crate) const READERS: &[&str] = &[
    "cat", "tac", "less", "more", "most", "head", "tail", "nl", "od", "xxd", "hexdump", "hd",
    "base64", "base32", "basenc", "strings", "cp", "mv", "ln", "scp", "rsync", "source", ".",
    "bat", "batcat", "view", "vi", "vim", "nvim", "nano", "emacs", "diff", "cmp", "comm", "sort",
    "uniq", "cut", "paste", "wc", "fold", "fmt", "pr", "column", "grep", "egrep", "fgrep", "rg",
    "ag", "ack", "sed", "awk", "gawk", "mawk", "jq", "yq", "openssl", "gpg", "tar", "zip", "gzip",
    "bzip2", "xz", "zcat", "zless", "md5sum", "sha1sum", "sha256sum", "shasum", "iconv",
];

/// Commands whose first operand is a pattern or program, not a file, unless one of the listed
/// options gives it; with the options that take a value.
pub(crate) const PATTERN_FIRST: &[(&str, &[&str], &[&str])] = &[
    ("grep", &["-e", "-f", "--regexp", "--file"], GREP_VALUES),
    ("egrep", &["-e", "-f", "--regexp", "--file"], GREP_VALUES),
    ("fgrep", &["-e", "-f", "--regexp", "--file"], GREP_VALUES),
    ("rg", &["-e", "-f", "--regexp", "--file"], RG_VALUES),
    ("ag", &[], GREP_VALUES),
    ("ack", &[], GREP_VALUES),
    (
        "sed",
        &["-e", "-f", "--expression", "--file"],
        &["-e", "-f", "-l"],
    ),
    ("awk", &["-f", "--file"], AWK_VALUES),
    ("gawk", &["-f", "--file"], AWK_VALUES),
    ("mawk", &["-f"], AWK_VALUES),
    ("jq", &["-f", "--from-file"], JQ_VALUES),
    ("yq", &["-f", "--from-file"], JQ_VALUES),
];
#[rustfmt::skip]
const GREP_VALUES: &[&str] = &[
    "-A", "-B", "-C", "-m", "-e", "-f", "-d", "-D", "--include", "--exclude", "--exclude-dir",
    "-G",
];
#[rustfmt::skip]
const RG_VALUES: &[&str] = &[
    "-A", "-B", "-C", "-m", "-e", "-f", "-g", "--glob", "--iglob", "-t", "--type", "-T",
    "--type-not", "-j", "-M", "--max-columns",
];
/// Value-taking options of other readers.
pub(crate) const READER_VALUES: &[(&str, &[&str])] = &[
    ("head", &["-n", "-c", "--lines", "--bytes"]),
    ("tail", &["-n", "-c", "--lines", "--bytes", "-s", "--pid"]),
    ("sort", &["-k", "-t", "-S", "--key", "--field-separator"]),
    ("cut", &["-d", "-f", "-c", "-b"]),
    ("xxd", &["-l", "-s", "-c", "-g"]),
    ("od", &["-N", "-j", "-t", "-A"]),
    ("base64", &["-w"]),
    ("fold", &["-w"]),
    ("column", &["-s", "-t"]),
];
const AWK_VALUES: &[&str] = &["-F", "-v", "-f"];
const JQ_VALUES: &[&str] = &["--arg", "--argjson", "--indent", "-f", "--from-file"];

/// Git subcommands that read (or publish) the content of the paths they are given.
#[rustfmt::skip]
pub(crate) const GIT_READERS: &[&str] = &[
    "add", "stage", "diff", "show", "log", "blame", "annotate", "cat-file", "hash-object", "grep",
    "archive", "commit", "apply", "am", "difftool",
];
#[rustfmt::skip]
pub(crate) const GIT_VALUES: &[&str] = &[
    "-m", "--message", "-C", "-c", "--author", "--date", "-e", "-n", "--max-count", "--format",
    "--pretty", "-L",
];
