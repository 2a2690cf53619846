package dev.rotakey.tasks;

import dev.rotakey.batch.Batch;
import dev.rotakey.core.Rotation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The short form of rotations and batches in task answers. */
public final class TaskViews {
    private TaskViews() {
    }

    public static List<Map<String, Object>> rotations(List<Rotation> rotations) {
        return rotations.stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("credential", r.credentialId());
            m.put("version", r.version());
            m.put("state", r.state().name());
            m.put("href", "/api/v1/rotations/" + r.id());
            return m;
        }).toList();
    }

    /** A batch as a task answers it: where to follow it. */
    public static Map<String, Object> batch(Batch b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", b.id());
        m.put("kind", b.kind().wireName());
        m.put("state", b.state().name());
        m.put("total", b.total());
        m.put("href", "/api/v1/batches/" + b.id());
        return m;
    }
}
