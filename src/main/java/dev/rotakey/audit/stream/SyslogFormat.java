package dev.rotakey.audit.stream;

import com.cloudbees.syslog.Facility;
import com.cloudbees.syslog.SDElement;
import com.cloudbees.syslog.SDParam;
import com.cloudbees.syslog.Severity;
import com.cloudbees.syslog.SyslogMessage;
import dev.rotakey.audit.AuditEvent;
import dev.rotakey.db.AuditDao.Chained;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes an audit event as an RFC 5424 syslog message framed for RFC 5425 (octet counting): MSGID is the action,
 * one structured-data element {@code rotakey@<enterpriseNumber>} carries every field of the event with its place in
 * the chain (seq, hash, prev), and the message is the event's details. Denials and failures are warnings; the rest
 * notices.
 */
final class SyslogFormat {
    private final String hostname;
    private final String appName;
    private final Facility facility;
    private final String sdId;

    /** @param hostname the HOSTNAME field; null for this machine's name */
    SyslogFormat(String hostname, String appName, Facility facility, int enterpriseNumber) {
        this.hostname = hostname;
        this.appName = appName;
        this.facility = facility;
        this.sdId = "rotakey@" + enterpriseNumber;
    }

    /** {@code e} as {@code MSG-LEN SP SYSLOG-MSG}. */
    String framed(Chained c) {
        return message(c).toRfc5425SyslogMessage();
    }

    /** {@code e} as one RFC 5424 message, unframed. */
    String unframed(Chained c) {
        return message(c).toRfc5424SyslogMessage();
    }

    private SyslogMessage message(Chained c) {
        AuditEvent e = c.event();
        List<SDParam> params = new ArrayList<>();
        param(params, "seq", Long.toString(c.seq()));
        param(params, "id", Long.toString(c.id()));
        param(params, "actor", e.actor());
        param(params, "action", e.action());
        param(params, "subject", e.subject());
        param(params, "outcome", e.outcome());
        param(params, "correlationId", e.correlationId());
        param(params, "node", e.node());
        param(params, "prev", c.prev());
        param(params, "hash", c.hash());
        SDElement element = new SDElement(sdId);
        element.setSdParams(params);
        SyslogMessage m = new SyslogMessage()
                .withTimestamp(e.at().toEpochMilli())
                .withFacility(facility)
                .withSeverity(e.failed() ? Severity.WARNING : Severity.NOTICE)
                .withAppName(appName)
                .withMsgId(e.action())
                .withSDElement(element)
                .withMsg(e.details() == null ? "" : oneLine(e.details()));
        if (hostname != null) {
            m.withHostname(hostname);
        }
        return m;
    }

    private static void param(List<SDParam> params, String name, String value) {
        if (value != null) {
            params.add(new SDParam(name, value));
        }
    }

    /** A receiver that splits on newlines (rsyslog's default template does) would otherwise see two events. */
    private static String oneLine(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
