//! Replays of what the engines and Kubernetes do to the strings of a spec, re-implemented from
//! their sources so that a test can tell what a container will really get.

/// Kubernetes' `$(VAR)` expansion of env values, command and args (kubernetes
/// `third_party/forked/golang/expansion/expand.go`): `$$` → `$`, `$(NAME)` → the value when
/// `NAME` is in `env`, anything else unchanged.
pub fn kubelet_expand(input: &str, env: &[(&str, &str)]) -> String {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            match b[i + 1] {
                b'$' => {
                    out.push('$');
                    i += 2;
                    continue;
                }
                b'(' => {
                    if let Some(end) = input[i + 2..].find(')') {
                        let name = &input[i + 2..i + 2 + end];
                        if let Some((_, v)) = env.iter().rev().find(|(k, _)| *k == name) {
                            out.push_str(v);
                            i += 3 + end;
                            continue;
                        }
                    }
                }
                _ => {}
            }
        }
        let c = input[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Tekton's substitution (`pkg/substitution`, a `strings.Replacer`): every known `$(key)` is
/// replaced, in one pass; nothing else changes.
pub fn tekton_replace(s: &str, known: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    'outer: while i < s.len() {
        for (k, v) in known {
            let pat = format!("$({k})");
            if s[i..].starts_with(&pat) {
                out.push_str(v);
                i += pat.len();
                continue 'outer;
            }
        }
        let c = s[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Argo's templating of a template field: `{{workflow.uid}}` becomes `run_id`; any other
/// `{{` would be templated too (or refused), which zenc's escaping must have prevented.
pub fn argo_template(s: &str, run_id: &str) -> Result<String, String> {
    let out = s.replace("{{workflow.uid}}", run_id);
    if out.contains("{{") {
        return Err(format!("Argo would template `{s}`"));
    }
    Ok(out)
}

/// Airflow's Jinja rendering of a templated operator argument, for the strings zenc writes:
/// text, `{{ '<escaped>' }}` string expressions, and `{{ run_id }}` (which becomes `run_id`).
/// Jinja normalises `\r\n`/`\r` to `\n` and drops one trailing `\n` first. Any other Jinja
/// syntax is an error: zenc's escaping must have prevented it.
pub fn jinja_render(src: &str, run_id: &str) -> Result<String, String> {
    let norm = src.replace("\r\n", "\n").replace('\r', "\n");
    let norm = norm.strip_suffix('\n').unwrap_or(&norm);
    let mut out = String::new();
    let mut rest = norm;
    while let Some(i) = rest.find('{') {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        if let Some(expr) = tail.strip_prefix("{{ '") {
            let end = expr.find("' }}").ok_or_else(|| format!("unclosed expression in `{src}`"))?;
            out.push_str(&expr[..end].replace("\\r", "\r").replace("\\n", "\n"));
            rest = &expr[end + 4..];
        } else if let Some(after) = tail.strip_prefix("{{ run_id }}") {
            out.push_str(run_id);
            rest = after;
        } else if tail.starts_with("{{") || tail.starts_with("{%") || tail.starts_with("{#") {
            return Err(format!("Jinja would read `{src}` as code"));
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// KFP's launcher replaces its `{{$…}}` placeholders in a container's command line, with no
/// escape: none may be left in one zenc wrote.
pub fn kfp_placeholders(s: &str) -> Result<String, String> {
    if s.contains("{{$") {
        return Err(format!("KFP would replace a placeholder in `{s}`"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_expands_known_variables_and_dollar_dollar_only() {
        let env = [("HOME", "/root"), ("X", "x")];
        assert_eq!(kubelet_expand("$(X)", &env), "x");
        assert_eq!(kubelet_expand("$$(X) $(Y) $X $", &env), "$(X) $(Y) $X $");
        assert_eq!(kubelet_expand("€$(HOME)", &env), "€/root");
    }

    #[test]
    fn jinja_render_reads_only_what_zenc_writes() {
        assert_eq!(jinja_render("a{{ '{' }}{x}} {{ run_id }}", "R").unwrap(), "a{{x}} R");
        assert_eq!(jinja_render("x\r\ny\n", "R").unwrap(), "x\ny");
        assert!(jinja_render("{{ x }}", "R").is_err());
        assert!(jinja_render("{% raw %}", "R").is_err());
    }
}
