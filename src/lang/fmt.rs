//! `terrane fmt`'s canonical layout, byte for byte what `terraform fmt`
//! writes: the file is cut into tokens as HCL's scanner cuts it, then only
//! the whitespace between tokens changes (hclwrite's rules: two spaces of
//! indent per open bracket, one space between most tokens, `=` and trailing
//! comments aligned over consecutive lines), after Terraform's own rewrites
//! of attribute values (`"${x}"` becomes `x`; a variable's `type = "string"`
//! becomes `string`, `list` becomes `list(any)`) and of block labels
//! (always quoted). Text in, text out: no I/O.

/// The kinds of token hclwrite's rules tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Newline,
    /// `# ...` and `// ...` include their newline; `/* */` does not.
    Comment,
    Ident,
    Number,
    OQuote,
    CQuote,
    QuotedLit,
    /// `${` (or `${~`).
    Interp,
    /// `%{` (or `%{~`).
    Control,
    /// The `}` (or `~}`) that ends a template sequence.
    SeqEnd,
    /// `<<EOT` or `<<-EOT` with its newline.
    OHeredoc,
    /// A heredoc's closing marker line, leading spaces included.
    CHeredoc,
    /// A heredoc's literal text.
    StringLit,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Equal,
    Comma,
    Dot,
    Colon,
    DoubleColon,
    Question,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Bang,
    /// `&&`, `||`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Operator,
    /// `=>`.
    FatArrow,
    Ellipsis,
    /// Anything else, kept as it is.
    Other,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    text: String,
    spaces: usize,
}

impl Token {
    fn new(kind: Kind, text: &str) -> Token {
        Token {
            kind,
            text: text.to_string(),
            spaces: 0,
        }
    }

    fn bracket_change(&self) -> i32 {
        match self.kind {
            Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::Interp | Kind::Control => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::SeqEnd => -1,
            _ => 0,
        }
    }

    fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }

    fn columns(&self) -> usize {
        self.spaces + self.text.chars().count()
    }
}

/// `source` laid out as `terraform fmt` lays it out. The caller checks
/// that it parses first: what does not is returned unchanged in meaning
/// but not canonically laid out.
pub fn format(source: &str) -> String {
    // HCL's scanner skips a byte-order mark; Terraform writes none back.
    let source = super::syntax::without_bom(source);
    let tokens = lex(source);
    let mut tokens = rewrite_bodies(tokens);
    let lines = split_lines(&tokens);
    indent(&mut tokens, &lines);
    space(&mut tokens, &lines);
    align(&mut tokens, &lines);
    let mut out = String::with_capacity(source.len());
    for token in &tokens {
        out.extend(std::iter::repeat_n(' ', token.spaces));
        out.push_str(&token.text);
    }
    out
}

// ---------------------------------------------------------------------------
// Scanning.

enum Mode {
    /// Expressions; `depth` counts braces opened inside a template
    /// sequence, so its closing `}` is told from an object's.
    Normal {
        depth: usize,
        in_template: bool,
    },
    Quoted,
    Heredoc {
        marker: String,
    },
}

fn lex(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut modes = vec![Mode::Normal {
        depth: 0,
        in_template: false,
    }];
    let mut i = 0;
    let mut spaces = 0;
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let mut push = |tokens: &mut Vec<Token>, kind: Kind, t: String, spaces: &mut usize| {
        tokens.push(Token {
            kind,
            text: t,
            spaces: *spaces,
        });
        *spaces = 0;
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match modes.last_mut().expect("a mode") {
            Mode::Quoted => {
                let start = i;
                i = literal_end(&chars, i, true);
                if i > start {
                    push(&mut tokens, Kind::QuotedLit, text(start, i), &mut spaces);
                }
                match chars.get(i) {
                    Some('"') => {
                        push(&mut tokens, Kind::CQuote, "\"".into(), &mut spaces);
                        modes.pop();
                        i += 1;
                    }
                    Some('$') | Some('%') => {
                        i = template_start(&chars, i, &mut tokens, &mut spaces, &mut push);
                        modes.push(Mode::Normal {
                            depth: 0,
                            in_template: true,
                        });
                    }
                    // An unterminated string: the rest is scanned as code.
                    _ => {
                        modes.pop();
                    }
                }
            }
            Mode::Heredoc { marker } => {
                let marker = marker.clone();
                let line_start = i == 0 || chars[i - 1] == '\n';
                if line_start {
                    let end = chars[i..]
                        .iter()
                        .position(|&c| c == '\n')
                        .map_or(chars.len(), |p| i + p);
                    let line = text(i, end);
                    if line.trim() == marker {
                        push(&mut tokens, Kind::CHeredoc, line, &mut spaces);
                        modes.pop();
                        i = end;
                        continue;
                    }
                }
                let start = i;
                i = literal_end(&chars, i, false);
                if i > start {
                    push(&mut tokens, Kind::StringLit, text(start, i), &mut spaces);
                }
                if matches!(chars.get(i), Some('$') | Some('%'))
                    && chars.get(i + 1).copied() == Some('{')
                    && (i == start || chars[i - 1] != '\n')
                {
                    i = template_start(&chars, i, &mut tokens, &mut spaces, &mut push);
                    modes.push(Mode::Normal {
                        depth: 0,
                        in_template: true,
                    });
                }
            }
            Mode::Normal { depth, in_template } => {
                let two = next.map(|n| format!("{c}{n}")).unwrap_or_default();
                match c {
                    ' ' | '\t' => {
                        spaces += 1;
                        i += 1;
                    }
                    '\r' if next == Some('\n') => {
                        push(&mut tokens, Kind::Newline, "\r\n".into(), &mut spaces);
                        i += 2;
                    }
                    '\n' => {
                        push(&mut tokens, Kind::Newline, "\n".into(), &mut spaces);
                        i += 1;
                    }
                    '#' => {
                        let end = line_end(&chars, i);
                        push(&mut tokens, Kind::Comment, text(i, end), &mut spaces);
                        i = end;
                    }
                    '/' if next == Some('/') => {
                        let end = line_end(&chars, i);
                        push(&mut tokens, Kind::Comment, text(i, end), &mut spaces);
                        i = end;
                    }
                    '/' if next == Some('*') => {
                        let end = (i + 2..chars.len().saturating_sub(1))
                            .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                            .map_or(chars.len(), |j| j + 2);
                        push(&mut tokens, Kind::Comment, text(i, end), &mut spaces);
                        i = end;
                    }
                    '"' => {
                        push(&mut tokens, Kind::OQuote, "\"".into(), &mut spaces);
                        modes.push(Mode::Quoted);
                        i += 1;
                    }
                    '<' if next == Some('<')
                        && (chars
                            .get(i + 2)
                            .is_some_and(|c| c.is_alphabetic() || *c == '_')
                            || (chars.get(i + 2) == Some(&'-')
                                && chars
                                    .get(i + 3)
                                    .is_some_and(|c| c.is_alphabetic() || *c == '_'))) =>
                    {
                        let name_start = if chars[i + 2] == '-' { i + 3 } else { i + 2 };
                        let mut end = name_start;
                        while end < chars.len() && is_ident_char(chars[end]) {
                            end += 1;
                        }
                        let marker = text(name_start, end);
                        if chars.get(end) == Some(&'\r') {
                            end += 1;
                        }
                        if chars.get(end) == Some(&'\n') {
                            end += 1;
                        }
                        push(&mut tokens, Kind::OHeredoc, text(i, end), &mut spaces);
                        modes.push(Mode::Heredoc { marker });
                        i = end;
                    }
                    '~' if next == Some('}') && *in_template && *depth == 0 => {
                        push(&mut tokens, Kind::SeqEnd, "~}".into(), &mut spaces);
                        modes.pop();
                        i += 2;
                    }
                    '{' => {
                        *depth += 1;
                        push(&mut tokens, Kind::OBrace, "{".into(), &mut spaces);
                        i += 1;
                    }
                    '}' if *in_template && *depth == 0 => {
                        push(&mut tokens, Kind::SeqEnd, "}".into(), &mut spaces);
                        modes.pop();
                        i += 1;
                    }
                    '}' => {
                        *depth = depth.saturating_sub(1);
                        push(&mut tokens, Kind::CBrace, "}".into(), &mut spaces);
                        i += 1;
                    }
                    _ if c.is_ascii_digit() => {
                        let mut end = i;
                        while end < chars.len() && chars[end].is_ascii_digit() {
                            end += 1;
                        }
                        if chars.get(end) == Some(&'.')
                            && chars.get(end + 1).is_some_and(char::is_ascii_digit)
                        {
                            end += 1;
                            while end < chars.len() && chars[end].is_ascii_digit() {
                                end += 1;
                            }
                        }
                        if matches!(chars.get(end), Some('e') | Some('E')) {
                            let mut exp = end + 1;
                            if matches!(chars.get(exp), Some('+') | Some('-')) {
                                exp += 1;
                            }
                            if chars.get(exp).is_some_and(char::is_ascii_digit) {
                                end = exp;
                                while end < chars.len() && chars[end].is_ascii_digit() {
                                    end += 1;
                                }
                            }
                        }
                        push(&mut tokens, Kind::Number, text(i, end), &mut spaces);
                        i = end;
                    }
                    _ if c.is_alphabetic() || c == '_' => {
                        let mut end = i;
                        while end < chars.len() && is_ident_char(chars[end]) {
                            end += 1;
                        }
                        push(&mut tokens, Kind::Ident, text(i, end), &mut spaces);
                        i = end;
                    }
                    _ => {
                        let (kind, len) = match (c, two.as_str()) {
                            (_, "&&" | "||" | "==" | "!=" | "<=" | ">=") => (Kind::Operator, 2),
                            (_, "=>") => (Kind::FatArrow, 2),
                            (_, "::") => (Kind::DoubleColon, 2),
                            ('.', _)
                                if chars.get(i + 1) == Some(&'.')
                                    && chars.get(i + 2) == Some(&'.') =>
                            {
                                (Kind::Ellipsis, 3)
                            }
                            ('<' | '>', _) => (Kind::Operator, 1),
                            ('=', _) => (Kind::Equal, 1),
                            ('[', _) => (Kind::OBrack, 1),
                            (']', _) => (Kind::CBrack, 1),
                            ('(', _) => (Kind::OParen, 1),
                            (')', _) => (Kind::CParen, 1),
                            (',', _) => (Kind::Comma, 1),
                            ('.', _) => (Kind::Dot, 1),
                            (':', _) => (Kind::Colon, 1),
                            ('?', _) => (Kind::Question, 1),
                            ('-', _) => (Kind::Minus, 1),
                            ('+', _) => (Kind::Plus, 1),
                            ('*', _) => (Kind::Star, 1),
                            ('/', _) => (Kind::Slash, 1),
                            ('%', _) => (Kind::Percent, 1),
                            ('!', _) => (Kind::Bang, 1),
                            _ => (Kind::Other, 1),
                        };
                        push(&mut tokens, kind, text(i, i + len), &mut spaces);
                        i += len;
                    }
                }
            }
        }
    }
    tokens
}

/// Where a run of template text from `from` ends: before `${` or `%{`
/// (`$${` and `%%{` are literal), and in a quoted string before its closing
/// quote or a newline (a backslash escapes what follows); in a heredoc,
/// just after the line's newline.
fn literal_end(chars: &[char], from: usize, quoted: bool) -> usize {
    let mut i = from;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('"' | '\n', _) if quoted => break,
            ('\n', _) => return i + 1,
            ('\\', Some(_)) if quoted => i += 2,
            ('$', Some('$')) | ('%', Some('%')) if chars.get(i + 2).copied() == Some('{') => i += 3,
            ('$' | '%', Some('{')) => break,
            _ => i += 1,
        }
    }
    i.min(chars.len())
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// The end of a line comment: after its newline, or the end of the text.
fn line_end(chars: &[char], from: usize) -> usize {
    chars[from..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(chars.len(), |p| from + p + 1)
}

/// Pushes the `${` / `%{` (with a `~` strip marker) at `i`; returns what
/// follows it.
fn template_start(
    chars: &[char],
    i: usize,
    tokens: &mut Vec<Token>,
    spaces: &mut usize,
    push: &mut impl FnMut(&mut Vec<Token>, Kind, String, &mut usize),
) -> usize {
    let kind = if chars[i] == '$' {
        Kind::Interp
    } else {
        Kind::Control
    };
    let len = if chars.get(i + 2) == Some(&'~') { 3 } else { 2 };
    push(tokens, kind, chars[i..i + len].iter().collect(), spaces);
    i + len
}

// ---------------------------------------------------------------------------
// Terraform's rewrites of body attributes and block labels.

/// Walks the bodies (the file, and each block's braces) and rewrites each
/// attribute's value and each block's labels as `terraform fmt` does.
fn rewrite_bodies(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    // The block types enclosing each open body; `None` for braces that
    // open an expression.
    let mut bodies: Vec<Vec<String>> = vec![Vec::new()];
    let mut i = 0;
    let mut line_start = true;
    while i < tokens.len() {
        let token = &tokens[i];
        if token.kind == Kind::CBrace && bodies.len() > 1 {
            bodies.pop();
            out.push(token.clone());
            i += 1;
            line_start = false;
            continue;
        }
        if !line_start || token.kind != Kind::Ident {
            line_start = token.ends_line() || token.kind == Kind::OBrace;
            out.push(token.clone());
            i += 1;
            continue;
        }
        let path = bodies.last().cloned().unwrap_or_default();
        if tokens.get(i + 1).is_some_and(|t| t.kind == Kind::Equal) {
            // An attribute: its value runs to the end of the line at
            // bracket depth 0 (or to a closing brace of a one-line block).
            let start = i + 2;
            let mut end = start;
            let mut depth = 0;
            while end < tokens.len() {
                let t = &tokens[end];
                if depth == 0 && (t.ends_line() || t.kind == Kind::Comment) {
                    break;
                }
                depth += t.bracket_change();
                if depth < 0 {
                    break;
                }
                end += 1;
            }
            out.push(tokens[i].clone());
            out.push(tokens[i + 1].clone());
            let value = tokens[start..end].to_vec();
            let value = if path == ["variable"] && tokens[i].text == "type" {
                type_expr(value)
            } else {
                value_expr(value)
            };
            out.extend(value);
            i = end;
            line_start = false;
            continue;
        }
        // A block: its type, labels, then `{`.
        let mut j = i + 1;
        let mut labels: Vec<Vec<Token>> = Vec::new();
        loop {
            match tokens.get(j).map(|t| t.kind) {
                Some(Kind::Ident) => {
                    labels.push(vec![
                        Token::new(Kind::OQuote, "\""),
                        Token::new(Kind::QuotedLit, &tokens[j].text),
                        Token::new(Kind::CQuote, "\""),
                    ]);
                    j += 1;
                }
                Some(Kind::OQuote)
                    if tokens.get(j + 2).is_some_and(|t| t.kind == Kind::CQuote)
                        && tokens[j + 1].kind == Kind::QuotedLit =>
                {
                    labels.push(tokens[j..j + 3].to_vec());
                    j += 3;
                }
                Some(Kind::OQuote) if tokens.get(j + 1).is_some_and(|t| t.kind == Kind::CQuote) => {
                    labels.push(tokens[j..j + 2].to_vec());
                    j += 2;
                }
                _ => break,
            }
        }
        if tokens.get(j).is_some_and(|t| t.kind == Kind::OBrace) {
            out.push(tokens[i].clone());
            for label in labels {
                out.extend(label);
            }
            out.push(tokens[j].clone());
            let mut inner = path;
            inner.push(tokens[i].text.clone());
            bodies.push(inner);
            i = j + 1;
            line_start = true;
        } else {
            out.push(tokens[i].clone());
            i += 1;
            line_start = false;
        }
    }
    out
}

/// `"${expr}"` as `expr` (in parentheses when it spans lines), as
/// Terraform's `formatValueExpr` does; anything else as it is.
fn value_expr(tokens: Vec<Token>) -> Vec<Token> {
    let n = tokens.len();
    if n < 5
        || tokens[0].kind != Kind::OQuote
        || tokens[1].kind != Kind::Interp
        || tokens[n - 2].kind != Kind::SeqEnd
        || tokens[n - 1].kind != Kind::CQuote
        || tokens[1].text != "${"
        || tokens[n - 2].text != "}"
    {
        return tokens;
    }
    let inside = &tokens[2..n - 2];
    let mut quotes = 0;
    for token in inside {
        match token.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::Interp | Kind::SeqEnd | Kind::QuotedLit => return tokens,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != Kind::Newline);
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline);
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let trimmed = inside[first..=last].to_vec();
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let wrapped = trimmed.first().is_some_and(|t| t.kind == Kind::OParen)
        && trimmed.last().is_some_and(|t| t.kind == Kind::CParen);
    if multi_line && !wrapped {
        let mut out = vec![Token::new(Kind::OParen, "(")];
        out.extend(trimmed);
        out.push(Token::new(Kind::CParen, ")"));
        return out;
    }
    trimmed
}

/// A variable's `type`: `list` as `list(any)`, and the quoted types of
/// Terraform 0.11 (`"string"`, `"list"`, `"map"`) as their keywords.
fn type_expr(tokens: Vec<Token>) -> Vec<Token> {
    let call = |name: &str, arg: &str| {
        vec![
            Token::new(Kind::Ident, name),
            Token::new(Kind::OParen, "("),
            Token::new(Kind::Ident, arg),
            Token::new(Kind::CParen, ")"),
        ]
    };
    match tokens.as_slice() {
        [keyword] if keyword.kind == Kind::Ident => match keyword.text.as_str() {
            "list" | "map" | "set" => call(&keyword.text, "any"),
            _ => tokens,
        },
        [open, text, close]
            if open.kind == Kind::OQuote
                && text.kind == Kind::QuotedLit
                && close.kind == Kind::CQuote =>
        {
            match text.text.as_str() {
                "string" => vec![Token::new(Kind::Ident, "string")],
                "list" | "map" => call(&text.text, "string"),
                _ => tokens,
            }
        }
        _ => tokens,
    }
}

// ---------------------------------------------------------------------------
// hclwrite's layout: indent, spaces, alignment.

/// One line's tokens split into hclwrite's cells: `lead`, then `assign`
/// (from a top-level `=`), then a trailing `comment`; as index ranges.
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<usize>,
}

fn split_lines(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.ends_line() {
            lines.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(start..tokens.len());
    }
    lines
        .into_iter()
        .map(|range| {
            let mut lead = range.clone();
            let mut comment = None;
            if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
                comment = Some(lead.end - 1);
                lead.end -= 1;
            }
            let mut assign = None;
            if let Some(at) = (lead.start + 1..lead.end).find(|&j| tokens[j].kind == Kind::Equal) {
                let net: i32 = tokens[at..lead.end].iter().map(Token::bracket_change).sum();
                if net == 0 {
                    assign = Some(at..lead.end);
                    lead.end = at;
                }
            }
            Line {
                lead,
                assign,
                comment,
            }
        })
        .collect()
}

fn indent(tokens: &mut [Token], lines: &[Line]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if tokens[first].kind == Kind::Newline {
            tokens[first].spaces = 0;
            continue;
        }
        let mut net = 0;
        for token in &tokens[line.lead.clone()] {
            net += token.bracket_change();
            if token.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = &line.assign {
            net += tokens[assign.clone()]
                .iter()
                .map(Token::bracket_change)
                .sum::<i32>();
        }
        if net > 0 {
            tokens[first].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 && !indents.is_empty() {
                let top = indents.len() - 1;
                if closed > indents[top] {
                    closed -= indents[top];
                    indents.pop();
                } else if closed < indents[top] {
                    indents[top] -= closed;
                    closed = 0;
                } else {
                    indents.pop();
                    closed = 0;
                }
            }
            tokens[first].spaces = 2 * indents.len();
        }
    }
}

fn space(tokens: &mut [Token], lines: &[Line]) {
    for line in lines {
        let mut cells = vec![line.lead.clone()];
        if let Some(assign) = &line.assign {
            tokens[assign.start].spaces = 1;
            cells.push(assign.clone());
        }
        for cell in cells {
            for i in cell.clone() {
                let Some(after) = (i + 1 < cell.end).then_some(i + 1) else {
                    continue;
                };
                let before = (i > cell.start).then(|| tokens[i - 1].clone());
                let spaced = space_after(&tokens[i], before.as_ref(), &tokens[after]);
                tokens[after].spaces = usize::from(spaced);
            }
        }
    }
}

/// hclwrite's `spaceAfterToken`: whether `subject` is followed by a space.
fn space_after(subject: &Token, before: Option<&Token>, after: &Token) -> bool {
    use Kind::*;
    let before_kind = before.map(|b| b.kind);
    match () {
        _ if after.kind == Newline => false,
        _ if subject.kind == Ident && after.kind == OParen => false,
        _ if (subject.kind == Ident && after.kind == DoubleColon)
            || (subject.kind == DoubleColon && after.kind == Ident) =>
        {
            false
        }
        _ if subject.kind == Dot || after.kind == Dot => false,
        _ if after.kind == Comma || after.kind == Ellipsis => false,
        _ if subject.kind == Comma => true,
        _ if matches!(subject.kind, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(after.kind, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        _ if subject.kind == Ident && subject.text == "in" && before_kind == Some(Ident) => true,
        _ if after.kind == OBrack
            && (subject.kind == Ident
                || subject.kind == Number
                || subject.bracket_change() < 0) =>
        {
            false
        }
        _ if subject.kind == Bang => false,
        // A minus after nothing, an opener, a separator or an operator is a
        // negation, written against its operand.
        _ if subject.kind == Minus => !matches!(
            before_kind,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | Operator
                    | Bang
            )
        ),
        _ if subject.kind == OBrace || after.kind == CBrace => {
            !(subject.kind == OBrace && after.kind == CBrace)
        }
        // `${ {...} }`: spaced, to show the object.
        _ if matches!(subject.kind, Interp | Control) && after.kind == OBrace => true,
        _ if subject.kind == CBrace && after.kind == SeqEnd => true,
        _ if subject.kind == SeqEnd && matches!(after.kind, Interp | Control) => false,
        _ if subject.bracket_change() > 0 => false,
        _ if after.bracket_change() < 0 => false,
        _ => true,
    }
}

fn columns(tokens: &[Token], range: &std::ops::Range<usize>) -> usize {
    tokens[range.clone()].iter().map(Token::columns).sum()
}

fn align(tokens: &mut [Token], lines: &[Line]) {
    // `=` over consecutive lines with an assignment.
    let mut chain: Vec<&Line> = Vec::new();
    let close = |tokens: &mut [Token], chain: &mut Vec<&Line>| {
        let widest = chain
            .iter()
            .map(|l| columns(tokens, &l.lead))
            .max()
            .unwrap_or(0);
        for line in chain.drain(..) {
            let assign = line.assign.as_ref().expect("an assignment");
            tokens[assign.start].spaces = widest - columns(tokens, &line.lead) + 1;
        }
    };
    for line in lines {
        if line.assign.is_some() {
            chain.push(line);
        } else if !chain.is_empty() {
            close(tokens, &mut chain);
        }
    }
    close(tokens, &mut chain);

    // Then trailing comments.
    let width = |tokens: &[Token], line: &Line| {
        columns(tokens, &line.lead) + line.assign.as_ref().map_or(0, |a| columns(tokens, a))
    };
    let mut chain: Vec<&Line> = Vec::new();
    let close = |tokens: &mut [Token], chain: &mut Vec<&Line>| {
        let widest = chain.iter().map(|l| width(tokens, l)).max().unwrap_or(0);
        for line in chain.drain(..) {
            let comment = line.comment.expect("a comment");
            tokens[comment].spaces = widest - width(tokens, line) + 1;
        }
    };
    for line in lines {
        if line.comment.is_some() {
            chain.push(line);
        } else if !chain.is_empty() {
            close(tokens, &mut chain);
        }
    }
    close(tokens, &mut chain);
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn lays_out_as_terraform_fmt_does() {
        let messy = "resource aws_vpc \"main\" {\ncidr_block=\"10.0.0.0/16\"\n  enable_dns_hostnames   =   true # dns\n    tags = { Name = \"${var.name}\" , Team=\"edge\" }\n  count = length( var.azs )-1\n}\n\nvariable \"azs\" {\n  type = list\n}\nvariable \"name\" {\n  type = \"string\"\n  default = \"x-${var.y}\"\n}\n";
        let expected = "resource \"aws_vpc\" \"main\" {\n  cidr_block           = \"10.0.0.0/16\"\n  enable_dns_hostnames = true # dns\n  tags                 = { Name = \"${var.name}\", Team = \"edge\" }\n  count                = length(var.azs) - 1\n}\n\nvariable \"azs\" {\n  type = list(any)\n}\nvariable \"name\" {\n  type    = string\n  default = \"x-${var.y}\"\n}\n";
        assert_eq!(format(messy), expected);
        assert_eq!(format(expected), expected, "formatting is idempotent");
    }

    #[test]
    fn unwraps_lone_interpolations_and_keeps_heredocs() {
        let source = "locals {\n  a = \"${var.x}\"\n  b = <<-EOT\n      keep   ${ var.y }   as is\n    EOT\n  c = -1\n  d = [for s in var.list: upper(s) if s != \"\"]\n}\n";
        let expected = "locals {\n  a = var.x\n  b = <<-EOT\n      keep   ${var.y}   as is\n    EOT\n  c = -1\n  d = [for s in var.list : upper(s) if s != \"\"]\n}\n";
        assert_eq!(format(source), expected);
    }
}
