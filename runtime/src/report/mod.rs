//! Rendering diagnostics (miette's graphical report for people, the spec's JSON for machines)
//! and the portability report's table.

use std::fmt::{self, Write as _};

use berth_compiler::diagnostics::{Diagnostic, to_json};
use berth_compiler::portability::{Mapping, Report};
use berth_compiler::source::{IndexedSource, LineIndex, Span};
use berth_compiler::{CheckedEnvironments, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme};

mod repeated;

use repeated::Drawing;

/// The most source text one snippet may show, in bytes. miette cannot draw a label past
/// column 65,535 (it panics), and a snippet of a megabyte-long line repeated for every
/// diagnostic on it would make the report quadratic in size; such labels are reported by
/// position instead.
const SNIPPET_LIMIT: usize = 8 * 1024;

/// How to draw human output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Colours on or off.
    pub color: bool,
    /// Wrap width in columns.
    pub width: usize,
}

impl Style {
    /// Plain unicode at a fixed width: stable for snapshots.
    pub const fn plain() -> Self {
        Self {
            color: false,
            width: 100,
        }
    }

    /// What the terminal wants: colour unless `NO_COLOR` is set or stderr is not a terminal.
    pub fn for_terminal() -> Self {
        use std::io::IsTerminal;
        let color = std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            && std::io::stderr().is_terminal();
        Self { color, width: 100 }
    }
}

/// A diagnostic with the named source it points into; without a source, it renders with no
/// snippet.
struct WithSource<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<&'a IndexedSource<'a>>,
}

impl<'a> WithSource<'a> {
    /// `diagnostic` with `indexed` when miette can draw a snippet of every label (see
    /// [`fits_a_snippet`]), else without a source.
    fn new(diagnostic: &'a Diagnostic, indexed: &'a IndexedSource<'a>) -> Self {
        let drawable = diagnostic
            .labels
            .iter()
            .all(|label| fits_a_snippet(indexed.index(), label.span));
        Self {
            diagnostic,
            source: drawable.then_some(indexed),
        }
    }
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, formatter)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.diagnostic, formatter)?;
        match self.diagnostic.environments.as_slice() {
            [] => Ok(()),
            [only] => write!(formatter, " (in environment `{only}`)"),
            several => write!(formatter, " (in environments {})", quoted_list(several)),
        }
    }
}

/// `` `dev`, `prod` ``.
fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::error::Error for WithSource<'_> {}

impl miette::Diagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        miette::Diagnostic::code(self.diagnostic)
    }
    fn severity(&self) -> Option<miette::Severity> {
        miette::Diagnostic::severity(self.diagnostic)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        miette::Diagnostic::help(self.diagnostic)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source?;
        miette::Diagnostic::labels(self.diagnostic)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.map(|source| source as &dyn miette::SourceCode)
    }
}

/// Renders every diagnostic, then a one-line summary.
pub fn render_human(diagnostics: &[Diagnostic], file: &str, source: &str, style: Style) -> String {
    let indexed = IndexedSource::new(file, source);
    let mut output = draw(diagnostics, &indexed, file, style);
    output.push_str(&summary(diagnostics, file));
    output.push('\n');
    output
}

/// The report handler: `width` columns, no links, lines broken only at spaces, so a name such
/// as `svc-web` or `berth::too-long` is never split across two lines (textwrap would otherwise
/// break after any hyphen, by Unicode's line-breaking rules, which also cost most of the time
/// drawing took).
pub(crate) fn handler(theme: GraphicalTheme, width: usize) -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Each of `diagnostics` drawn with its snippet of `indexed`, a blank line after each; a kind of
/// warning that recurs more than [`repeated::DRAWN_IN_FULL`] times is drawn once, with the places
/// of the others listed after it.
fn draw(
    diagnostics: &[Diagnostic],
    indexed: &IndexedSource<'_>,
    file: &str,
    style: Style,
) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = handler(theme, style.width);
    // Wrapping (textwrap) is most of the cost of drawing a diagnostic; one whose lines all fit
    // is drawn without it, which gives the same text.
    let unwrapped = handler.clone().with_wrap_lines(false);
    let mut output = String::new();
    for (diagnostic, drawing) in diagnostics.iter().zip(repeated::plan(diagnostics)) {
        if drawing == Drawing::Listed {
            continue;
        }
        let wrapped = WithSource::new(diagnostic, indexed);
        let drawable = wrapped.source.is_some();
        let handler = if fits_unwrapped(&wrapped, style.width) {
            &unwrapped
        } else {
            &handler
        };
        if handler.render_report(&mut output, &wrapped).is_err() {
            let _ = writeln!(output, "{}: {}", diagnostic.code, diagnostic.message);
        }
        if !drawable {
            for label in &diagnostic.labels {
                let place = indexed.index().locate(label.span.offset);
                let _ = writeln!(
                    output,
                    "  at {file}:{}:{}: {} (the line is too long to show)",
                    place.line, place.column, label.message
                );
            }
        }
        if let Drawing::FullThenListed(others) = drawing {
            let places: Vec<(usize, usize)> = others
                .iter()
                .map(|&index| {
                    let place = indexed
                        .index()
                        .locate(diagnostics[index].labels[0].span.offset);
                    (place.line, place.column)
                })
                .collect();
            output.push_str(&repeated::listing(file, &places, style.width));
        }
        output.push('\n');
    }
    output
}

/// Whether miette would leave the message and help of `diagnostic` unwrapped at `width`
/// columns: each line of them ASCII, printable, without white space at either end, and short
/// enough for its indentation (`  × `, `  help: `) within the width miette wraps to
/// (`width - 2`). Such text wraps to itself, so drawing it without wrapping changes nothing.
fn fits_unwrapped(diagnostic: &WithSource<'_>, width: usize) -> bool {
    let fits = |text: &str, indent: usize| {
        text.split('\n').all(|line| {
            !line.is_empty()
                && line.len() + indent <= width.saturating_sub(2)
                && line
                    .bytes()
                    .all(|byte| byte.is_ascii_graphic() || byte == b' ')
                && !line.starts_with(' ')
                && !line.ends_with(' ')
        })
    };
    fits(&diagnostic.to_string(), 4)
        && diagnostic
            .diagnostic
            .help
            .as_deref()
            .is_none_or(|help| fits(help, 8))
}

/// Whether the lines miette would show for `span` (one line of context on each side) are
/// short enough to draw.
fn fits_a_snippet(index: &LineIndex<'_>, span: Span) -> bool {
    let first = index.line_of(span.offset).saturating_sub(1);
    let last = index.line_of(span.end()) + 2;
    index.line_start(last) - index.line_start(first) <= SNIPPET_LIMIT
}

/// Renders a check of every environment: each diagnostic, then a summary that names what was
/// checked when the file declares environments.
pub fn render_check(
    report: &CheckedEnvironments,
    file: &str,
    source: &str,
    style: Style,
) -> String {
    let mut output = render_human(&report.diagnostics, file, source, style);
    if !report.environments.is_empty() {
        output.pop();
        let plural = if report.environments.len() == 1 {
            ""
        } else {
            "s"
        };
        let environments = quoted_list(&report.environments);
        let checked = if report.base {
            format!("the base and environment{plural} {environments}")
        } else {
            format!("environment{plural} {environments}")
        };
        let _ = writeln!(output, " (checked {checked})");
    }
    output
}

/// `shop.kdl: 2 errors, 1 warning`, `shop.kdl is valid, with 1 note` or `shop.kdl is valid`.
pub fn summary(diagnostics: &[Diagnostic], file: &str) -> String {
    let count = |severity: Severity| {
        diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity() == severity)
            .count()
    };
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let counts: Vec<String> = [
        (count(Severity::Error), "error"),
        (count(Severity::Warning), "warning"),
        (count(Severity::Note), "note"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, word)| plural(count, word))
    .collect();
    match (count(Severity::Error), counts.is_empty()) {
        (_, true) => format!("{file} is valid"),
        (0, false) => format!("{file} is valid, with {}", counts.join(", ")),
        (_, false) => format!("{file}: {}", counts.join(", ")),
    }
}

/// The JSON document of spec §5, pretty-printed.
pub fn render_json(diagnostics: &[Diagnostic], file: &str, source: &str) -> String {
    let value = to_json(diagnostics, file, source);
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{\"diagnostics\": []}".to_owned())
}

/// The report as a table: one block per workload, one line per setting, each change and its
/// help below the setting it concerns.
pub fn render_port(report: &Report, file: &str) -> String {
    let mut output = String::new();
    let environment = if report.environment == "default" {
        String::new()
    } else {
        format!(", environment {}", report.environment)
    };
    let _ = writeln!(
        output,
        "{} → {}: workspace `{}` ({file}{environment})",
        report.from, report.to, report.workspace
    );
    let width = report
        .groups
        .iter()
        .flat_map(|group| &group.settings)
        .map(|setting| setting.setting.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    for group in &report.groups {
        let _ = writeln!(output, "\n{} {}", group.kind, group.name);
        for setting in &group.settings {
            let _ = writeln!(
                output,
                "  {:<width$}  {}",
                setting.setting,
                setting.mapping.describe()
            );
            for change in &setting.changes {
                // A change that concerns several settings (every secret of a workload) is
                // spelled out at the first of them.
                let first = group
                    .settings
                    .iter()
                    .find(|earlier| earlier.changes.contains(change))
                    .filter(|earlier| earlier.setting != setting.setting);
                if let Some(first) = first {
                    let _ = writeln!(
                        output,
                        "  {:<width$}    - as for `{}` above",
                        "", first.setting
                    );
                    continue;
                }
                let _ = writeln!(output, "  {:<width$}    - {}", "", change.message);
                if let Some(help) = &change.help {
                    let _ = writeln!(output, "  {:<width$}      help: {help}", "");
                }
            }
        }
    }
    let summary = report.summary;
    let total = summary.exact + summary.approximate + summary.unsupported;
    let _ = writeln!(
        output,
        "\n{total} settings: {} exact, {} approximate, {} not at all",
        summary.exact, summary.approximate, summary.unsupported
    );
    if report
        .groups
        .iter()
        .flat_map(|group| &group.settings)
        .any(|setting| setting.mapping == Mapping::Unsupported)
    {
        let _ = writeln!(
            output,
            "settings that do not map are left out of the {} build, or stop it: see the changes above",
            report.to
        );
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_compiler::Code;
    use berth_compiler::model::Target;
    use std::path::Path;

    /// Every diagnostic `fits_unwrapped` accepts draws the same without wrapping as with it:
    /// those of every fixture and example (each target), and messages and help of every length
    /// around the width, in colour and without.
    #[test]
    fn diagnostics_that_fit_draw_the_same_unwrapped() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = Vec::new();
        for directory in ["tests/fixtures", "examples"] {
            for entry in fs_err::read_dir(root.join(directory)).expect("listed") {
                let file = entry.expect("entry").path().join("berth.kdl");
                if let Ok(text) = fs_err::read_to_string(&file) {
                    sources.push(text);
                }
            }
        }
        let mut diagnostics = Vec::new();
        for source in &sources {
            for target in [
                None,
                Some(Target::Ecs),
                Some(Target::Fargate),
                Some(Target::Eks),
            ] {
                let options = berth_compiler::Options {
                    target,
                    ..berth_compiler::Options::default()
                };
                for diagnostic in berth_compiler::check_environments(source, &options).diagnostics {
                    diagnostics.push((source.as_str(), diagnostic));
                }
            }
        }
        assert!(diagnostics.len() > 100, "{} diagnostics", diagnostics.len());
        let word = |length: usize| "abcdefghij".repeat(length / 10 + 1)[..length].to_owned();
        let plain_source = "service \"web\" { image \"nginx:1.27\" }\n";
        for length in 70..110 {
            for words in [1, 3, 12] {
                let text: Vec<String> = (0..words).map(|_| word(length / words)).collect();
                let text = text.join(" ");
                let mut diagnostic =
                    Diagnostic::new(Code::Approximated, text.clone(), Span::new(0, 7), "here");
                diagnostics.push((plain_source, diagnostic.clone()));
                diagnostic.help = Some(text.clone());
                diagnostic.message = "short".to_owned();
                diagnostics.push((plain_source, diagnostic.clone()));
                diagnostic.environments = vec![word(length.saturating_sub(40))];
                diagnostic.message = word(30);
                diagnostics.push((plain_source, diagnostic.clone()));
                for padded in [
                    format!("{text} "),
                    format!(" {text}"),
                    format!("{text}\n\nmore"),
                ] {
                    diagnostic.message = padded.clone();
                    diagnostic.help = Some(padded);
                    diagnostics.push((plain_source, diagnostic.clone()));
                }
            }
        }
        let mut unwrapped_count = 0;
        for color in [false, true] {
            let theme = if color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            let wrapping = handler(theme, 100);
            let unwrapped = wrapping.clone().with_wrap_lines(false);
            for (source, diagnostic) in &diagnostics {
                let indexed = IndexedSource::new("berth.kdl", source);
                let drawable = WithSource::new(diagnostic, &indexed);
                if !fits_unwrapped(&drawable, 100) {
                    continue;
                }
                unwrapped_count += 1;
                let mut expected = String::new();
                let mut actual = String::new();
                wrapping
                    .render_report(&mut expected, &drawable)
                    .expect("drawn");
                unwrapped
                    .render_report(&mut actual, &drawable)
                    .expect("drawn");
                assert_eq!(actual, expected, "{diagnostic:?}");
            }
        }
        assert!(unwrapped_count > 100, "{unwrapped_count} drawn unwrapped");
        let too_long = Diagnostic::new(Code::Approximated, word(95), Span::new(0, 7), "here");
        let indexed = IndexedSource::new("berth.kdl", plain_source);
        let drawable = WithSource {
            diagnostic: &too_long,
            source: Some(&indexed),
        };
        assert!(
            !fits_unwrapped(&drawable, 100),
            "95 + 4 columns do not fit 98"
        );
    }
}
