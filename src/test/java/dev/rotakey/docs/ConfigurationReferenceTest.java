package dev.rotakey.docs;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.introspect.AnnotatedClass;
import com.fasterxml.jackson.databind.introspect.AnnotatedClassResolver;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import io.dropwizard.jackson.Jackson;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

/**
 * Keeps {@code docs/configuration.md} and the configuration classes in step: every key the classes accept is a row
 * of the reference, and every row names a key that still exists.
 *
 * <p>The rules, which the reference itself repeats at its top:
 * <ul>
 *   <li>Keys are derived from {@link RotakeyConfiguration} with the same Jackson mapper Dropwizard reads the file
 *   with, recursively. A map's key is written {@code <name>} ({@code targets.<name>.url}).</li>
 *   <li>A documented key is the backquoted first cell of a row, in a table whose first header is {@code key}.</li>
 *   <li>A map of a polymorphic type ({@code keyBackends}, {@code targets}, {@code alerting.sinks}) has its
 *   {@code <name>.type} row, and one table per registered type (the {@code META-INF/services} subtypes). A heading
 *   that holds {@code `targets.<name>.type: webhook`} makes the rows below it the keys of that type; a heading with
 *   {@code `targets.<name>.type: *`} documents keys that every type of that map has. Any other heading ends the
 *   type's section.</li>
 *   <li>A list of a polymorphic type ({@code audit.streams}) is read the same way, its elements written {@code []}:
 *   rows {@code audit.streams[].type} and {@code audit.streams[].host}, headings {@code `audit.streams[].type: syslog`}
 *   and {@code `audit.streams[].type: *`}.</li>
 *   <li>{@link SecretSource} and {@link TlsFactory} blocks appear under many keys: each such key is one row, and the
 *   blocks' own keys are rows once, as {@code <secret>.env} and {@code <tls>.caFile}.</li>
 *   <li>Keys that Dropwizard's own classes declare ({@code server}, {@code logging}, {@code metrics}, {@code admin},
 *   {@code health}, and {@code database}'s data source settings) are covered by a link to Dropwizard's reference:
 *   they may be rows (so may anything beneath them, {@code server.applicationConnectors}), but need not be.</li>
 * </ul>
 */
class ConfigurationReferenceTest {
    private static final Path REFERENCE = Path.of("docs", "configuration.md");
    private static final String SECRET = "<secret>";
    private static final String TLS = "<tls>";
    /** A table row whose first cell is a backquoted key: {@code | `rotation.retry.maxBackoff` | …}. */
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|");
    /**
     * A heading that opens one type's keys: {@code ### … `targets.<name>.type: webhook` …}, or of a polymorphic map
     * inside one type ({@code `targets.<local-files>.hooks.<name>.type: exec`}), hence {@code <>-} in the map's key.
     */
    private static final Pattern TYPE_HEADING = Pattern.compile("`([A-Za-z.<>-]+)(\\.<name>|\\[])\\.type: ([a-z0-9*-]+)`");

    private final DeserializationConfig config = Jackson.newObjectMapper().getDeserializationConfig();

    /** Keys Rotakey's classes declare: each must be documented. */
    private final Set<String> required = new TreeSet<>();
    /** Keys Dropwizard's classes declare: documented or not, both are fine. */
    private final Set<String> dropwizard = new TreeSet<>();
    /** The types registered for each polymorphic map or list, by its key ({@code targets}). */
    private final Map<String, Set<String>> typesByMap = new LinkedHashMap<>();
    /** The polymorphic lists' keys ({@code audit.streams}): their elements are {@code key[]}, a type's {@code key[syslog]}. */
    private final Set<String> lists = new TreeSet<>();

    /** {@code targets.<name>} or {@code audit.streams[]}: any element of the polymorphic container {@code key}. */
    private static String anyOf(String key, boolean list) {
        return list ? key + "[]" : key + ".<name>";
    }

    /** {@code targets.<webhook>} or {@code audit.streams[syslog]}: an element of type {@code type}. */
    private static String typedOf(String key, boolean list, String type) {
        return list ? key + "[" + type + "]" : key + ".<" + type + ">";
    }

    @Test
    void everyKeyIsDocumentedAndEveryDocumentedKeyExists() throws IOException {
        deriveKeys();
        Set<String> documented = documentedKeys();

        List<String> missing = new ArrayList<>();
        for (String key : required) {
            if (!documented.contains(key) && !documented.contains(everyType(key))) {
                missing.add(key);
            }
        }
        List<String> unknown = new ArrayList<>();
        for (String key : documented) {
            if (!exists(key)) {
                unknown.add(key);
            }
        }
        assertSoftly(soft -> {
            soft.assertThat(missing).as("configuration keys missing from %s (add a row; targets.<webhook>.url is the "
                    + "row targets.<name>.url under the heading of type webhook)", REFERENCE).isEmpty();
            soft.assertThat(unknown).as("rows of %s naming no configuration key (remove or rename them)", REFERENCE)
                    .isEmpty();
        });
    }

    @Test
    void theWalkFindsEveryPolymorphicType() {
        deriveKeys();
        // A guard on the test itself: were the subtypes not discovered, the per-type keys would go unchecked.
        assertThat(typesByMap.get("keyBackends")).contains("pkcs11", "vault-transit");
        assertThat(typesByMap.get("targets")).contains("local-files", "vault-kv", "redis-acl", "webhook", "postgres-role",
                "mariadb-user");
        assertThat(typesByMap.get("alerting.sinks")).contains("webhook", "alertmanager", "slack", "pagerduty", "email");
        assertThat(typesByMap.get("audit.streams")).contains("syslog", "ocsf-file", "ocsf-http");
        assertThat(required).contains("rotation.retry.maxBackoff", "keyBackends.<name>.type", "keyBackends.<pkcs11>.pin",
                "targets.<webhook>.tls", "<tls>.caFile", "<secret>.env", "database.passwordSecret");
        assertThat(required).doesNotContain("database.url", "server");
        assertThat(dropwizard).contains("database.url", "server", "logging", "metrics");
    }

    private void deriveKeys() {
        walk("", config.constructType(RotakeyConfiguration.class));
        walk(SECRET, config.constructType(SecretSource.class));
        walk(TLS, config.constructType(TlsFactory.class));
    }

    /**
     * Records the keys of {@code type} under {@code prefix}. A polymorphic map's per-type keys are recorded with the
     * type in place of {@code <name>} ({@code targets.<webhook>.url}), the form {@link #documentedKeys()} reads.
     */
    private void walk(String prefix, JavaType type) {
        BeanDescription bean = config.introspect(type);
        for (BeanPropertyDefinition property : bean.findProperties()) {
            if (!property.couldDeserialize()) {
                continue;
            }
            String key = prefix.isEmpty() ? property.getName() : prefix + "." + property.getName();
            AnnotatedMember member = property.getPrimaryMember();
            if (member != null && member.getDeclaringClass().getName().startsWith("io.dropwizard.")) {
                dropwizard.add(key);
                continue;
            }
            required.add(key);
            JavaType propertyType = property.getPrimaryType();
            if (propertyType.isMapLikeType()) {
                JavaType content = propertyType.getContentType();
                if (isPolymorphic(content)) {
                    walkTypes(key, content);
                } else if (isOwnBean(content)) {
                    walk(key + ".<name>", content);
                }
            } else if (propertyType.isCollectionLikeType() && isPolymorphic(propertyType.getContentType())) {
                lists.add(key);
                walkTypes(key, propertyType.getContentType());
            } else if (propertyType.isCollectionLikeType() && isOwnBean(propertyType.getContentType())) {
                // A list of Rotakey's own blocks: each element's keys, documented as key[].name.
                walk(key + "[]", propertyType.getContentType());
            } else if (isOwnBean(propertyType)) {
                walk(key, propertyType);
            }
        }
    }

    /** One polymorphic map: its {@code <name>.type} key, then each registered type's own keys. */
    private void walkTypes(String mapKey, JavaType base) {
        JsonTypeInfo info = base.getRawClass().getAnnotation(JsonTypeInfo.class);
        boolean list = lists.contains(mapKey);
        required.add(anyOf(mapKey, list) + "." + info.property());
        AnnotatedClass annotated = AnnotatedClassResolver.resolveWithoutSuperTypes(config, base.getRawClass());
        Collection<NamedType> subtypes = config.getSubtypeResolver().collectAndResolveSubtypesByClass(config, annotated);
        for (NamedType subtype : subtypes) {
            Class<?> cls = subtype.getType();
            if (cls.isInterface() || Modifier.isAbstract(cls.getModifiers()) || !isMainClass(cls)) {
                continue;
            }
            String name = subtype.hasName() ? subtype.getName()
                    : config.getAnnotationIntrospector().findTypeName(AnnotatedClassResolver.resolveWithoutSuperTypes(config, cls));
            typesByMap.computeIfAbsent(mapKey, k -> new TreeSet<>()).add(name);
            walk(typedOf(mapKey, list, name), config.constructType(cls));
        }
    }

    /** Types registered by test sources (none today) are not the product's: they are not documented. */
    private static boolean isMainClass(Class<?> cls) {
        var source = cls.getProtectionDomain().getCodeSource();
        return source == null || !source.getLocation().toString().contains("test-classes");
    }

    private static boolean isPolymorphic(JavaType type) {
        return type.getRawClass().isAnnotationPresent(JsonTypeInfo.class);
    }

    /** A class of Rotakey's whose keys are listed one by one; secret sources and TLS blocks are listed once each. */
    private static boolean isOwnBean(JavaType type) {
        Class<?> cls = type.getRawClass();
        return cls.getName().startsWith("dev.rotakey.") && !cls.isEnum() && !cls.isInterface()
                && cls != SecretSource.class && cls != TlsFactory.class;
    }

    /** {@code targets.<webhook>.url} → {@code targets.<*>.url}, the row that documents a key of every type at once. */
    private String everyType(String key) {
        for (String map : typesByMap.keySet()) {
            for (String type : typesByMap.get(map)) {
                String typed = typedOf(map, lists.contains(map), type) + ".";
                if (key.startsWith(typed)) {
                    return typedOf(map, lists.contains(map), "*") + "." + key.substring(typed.length());
                }
            }
        }
        return key;
    }

    private boolean exists(String key) {
        if (required.contains(key)) {
            return true;
        }
        for (String own : dropwizard) {
            if (key.equals(own) || key.startsWith(own + ".")) {
                return true;
            }
        }
        for (Map.Entry<String, Set<String>> map : typesByMap.entrySet()) {
            boolean list = lists.contains(map.getKey());
            String every = typedOf(map.getKey(), list, "*") + ".";
            if (key.startsWith(every)) {
                String rest = key.substring(every.length());
                // A row for every type must hold for every type; otherwise it belongs in the types' own tables.
                return map.getValue().stream().allMatch(t -> required.contains(typedOf(map.getKey(), list, t) + "." + rest));
            }
        }
        return false;
    }

    /**
     * The keys in the first column of the reference's tables whose header's first cell is {@code key}. Under a type heading, {@code targets.<name>.url} is read as
     * {@code targets.<webhook>.url}.
     */
    private static Set<String> documentedKeys() throws IOException {
        Set<String> keys = new TreeSet<>();
        String typedMap = null;
        boolean typedList = false;
        String typeName = null;
        boolean inTable = false;
        boolean keyTable = false;
        for (String line : Files.readAllLines(REFERENCE, StandardCharsets.UTF_8)) {
            if (line.startsWith("#")) {
                Matcher heading = TYPE_HEADING.matcher(line);
                typedMap = heading.find() ? heading.group(1) : null;
                typedList = typedMap != null && heading.group(2).equals("[]");
                typeName = typedMap == null ? null : heading.group(3);
            }
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            if (!inTable) {
                // A table's first line is its header: only tables whose first column is "key" list keys.
                inTable = true;
                keyTable = line.replaceAll("^\\|\\s*", "").startsWith("key ");
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (!keyTable || !row.find()) {
                continue;
            }
            String key = row.group(1);
            String namePrefix = anyOf(typedMap, typedList) + ".";
            if (typedMap != null && key.startsWith(namePrefix) && !key.equals(namePrefix + "type")) {
                key = typedOf(typedMap, typedList, typeName) + "." + key.substring(namePrefix.length());
            }
            keys.add(key);
        }
        return keys;
    }
}
