package dev.rotakey.posture;

import java.util.List;

/**
 * The posture report's findings as CSV (RFC 4180) for spreadsheets: a header row, one row per finding listed. A value
 * a spreadsheet would take for a formula (starting with {@code =}, {@code +}, {@code -}, {@code @}, a tab or a carriage
 * return) is prefixed with {@code '}, since agent ids, owners and summaries come from API callers.
 */
public final class PostureCsv {
    static final List<String> HEADER = List.of("severity", "kind", "agent", "owner", "credential", "version", "subject",
            "summary", "remedy", "audit", "since");

    private PostureCsv() {
    }

    public static String render(PostureReport report) {
        StringBuilder out = new StringBuilder();
        row(out, HEADER);
        for (Finding f : report.findings()) {
            row(out, List.of(f.severity().wireName(), f.kind().wireName(), text(f.agent()), text(f.owner()),
                    text(f.credential()), f.version() == null ? "" : f.version().toString(), f.subject(), f.summary(),
                    f.remedy(), f.audit(), f.since() == null ? "" : f.since().toString()));
        }
        return out.toString();
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }

    private static void row(StringBuilder out, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(field(values.get(i)));
        }
        out.append("\r\n");
    }

    /** One field: neutralised against formula injection, then quoted when it holds a comma, quote or line break. */
    static String field(String value) {
        String v = value;
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            return '"' + v.replace("\"", "\"\"") + '"';
        }
        return v;
    }
}
