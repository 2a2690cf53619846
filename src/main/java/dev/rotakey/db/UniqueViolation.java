package dev.rotakey.db;

import java.sql.SQLException;

/**
 * Recognises a write refused by a unique index or primary key (SQLSTATE 23505 on PostgreSQL and H2): something of the
 * same key was inserted concurrently, which callers answer as a conflict or as another node having won the race.
 */
public final class UniqueViolation {
    private static final String SQL_STATE = "23505";

    private UniqueViolation() {
    }

    /** Whether {@code e}, or one of its causes, is a unique-index violation. */
    public static boolean in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && SQL_STATE.equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
