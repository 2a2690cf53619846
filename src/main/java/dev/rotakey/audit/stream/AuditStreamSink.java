package dev.rotakey.audit.stream;

import dev.rotakey.db.AuditDao.Chained;

import java.io.IOException;
import java.util.List;

/**
 * A SIEM receiver of audit events: a syslog server, a file, an HTTP collector. {@link #deliver} returns only once the
 * receiver has taken every event it was given, as far as its protocol can tell; the stream's cursor moves after it.
 */
public interface AuditStreamSink extends AutoCloseable {

    /** Hands {@code events} (consecutive, in seq order) to the receiver; throws when any may not have arrived. */
    void deliver(List<Chained> events) throws IOException;

    /** Closes any connection; the next delivery opens a new one. */
    @Override
    void close();
}
