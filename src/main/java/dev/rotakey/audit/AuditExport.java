package dev.rotakey.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.db.AuditChainHead;
import dev.rotakey.db.AuditDao;
import dev.rotakey.db.Store;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a range of the audit chain as JSON lines an auditor checks offline with {@code openssl} alone
 * (docs/security.md): first the checkpoint keys' public halves, then each event's canonical line as it was hashed,
 * each checkpoint after the event it signs. The range is extended to the first checkpoint at or after its end, so
 * that a signature vouches for every event in it.
 */
public final class AuditExport {
    private static final int PAGE = 2000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Store store;
    private final AuditSigningKeys keys;

    public AuditExport(Store store, AuditSigningKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    /** Writes events {@code from} to {@code to} (1 and the head when null) and their checkpoints to {@code out}. */
    public void write(Long from, Long to, Writer out) throws IOException {
        AuditChainHead head = store.read(tx -> tx.audit().head());
        long first = from == null ? 1 : Math.max(1, from);
        long asked = to == null ? head.seq() : Math.min(to, head.seq());
        long last = store.read(tx -> tx.auditCheckpoints().after(asked - 1, 1)).stream()
                .mapToLong(AuditCheckpoint::seq).findFirst().orElse(head.seq());
        line(out, Map.of("keys", keys.configured() ? keys.allTrusted().stream().map(k -> describe(keys.backendName(), k)).toList() : List.of()));
        Deque<AuditCheckpoint> checkpoints = new ArrayDeque<>(store.read(tx -> tx.auditCheckpoints().after(first - 1, PAGE)));
        long after = first - 1;
        while (after < last) {
            long from0 = after;
            List<AuditDao.Chained> page = store.read(tx -> tx.audit().chained(from0, last, PAGE));
            if (page.isEmpty()) {
                break;
            }
            for (AuditDao.Chained c : page) {
                out.write(ChainLink.of(c.seq(), c.prev(), c.event()).line());
                out.write('\n');
                while (!checkpoints.isEmpty() && checkpoints.peek().seq() <= c.seq()) {
                    AuditCheckpoint cp = checkpoints.poll();
                    if (cp.seq() == c.seq()) {
                        line(out, checkpointLine(cp));
                    }
                }
                if (checkpoints.isEmpty()) {
                    checkpoints.addAll(store.read(tx -> tx.auditCheckpoints().after(c.seq(), PAGE)));
                }
            }
            after = page.get(page.size() - 1).seq();
        }
        out.flush();
    }

    private static Map<String, Object> checkpointLine(AuditCheckpoint cp) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("seq", cp.seq());
        fields.put("hash", cp.hash());
        fields.put("at", cp.at().toString());
        fields.put("backend", cp.backend());
        fields.put("key", cp.keyAlias());
        fields.put("algorithm", cp.algorithm());
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("checkpoint", fields);
        line.put("payload", cp.payload());
        line.put("signature", cp.signature());
        return line;
    }

    private static Map<String, Object> describe(String backend, SigningKey key) {
        byte[] spki = key.publicKey().getEncoded();
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("backend", backend);
        k.put("key", key.alias());
        k.put("algorithm", key.spec().signatureAlgorithm());
        k.put("publicKey", "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(spki)
                + "\n-----END PUBLIC KEY-----\n");
        k.put("sha256", ChainLink.sha256Hex(spki));
        return k;
    }

    private void line(Writer out, Object value) throws IOException {
        out.write(JSON.writeValueAsString(value));
        out.write('\n');
    }
}
