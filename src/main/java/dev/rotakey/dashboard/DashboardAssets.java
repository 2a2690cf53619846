package dev.rotakey.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's static files, read once from the jar: a fixed list, so that no request names a resource outside
 * it. Each has a short digest of its content for its URL ({@code ?v=}), so that it can be cached for long and a new
 * release is still fetched anew.
 */
final class DashboardAssets {
    /** One file: its bytes, media type and content digest. */
    record Asset(byte[] bytes, String mediaType, String version) {
    }

    private static final Map<String, String> TYPES = Map.of(
            "dashboard.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private final Map<String, Asset> assets;

    DashboardAssets() {
        Map<String, Asset> loaded = new java.util.HashMap<>();
        TYPES.forEach((name, type) -> loaded.put(name, load(name, type)));
        this.assets = Map.copyOf(loaded);
    }

    Optional<Asset> get(String name) {
        return Optional.ofNullable(assets.get(name));
    }

    /** The URL of an asset, with its content version. */
    String url(String name) {
        return "/dashboard/assets/" + name + "?v=" + assets.get(name).version();
    }

    private static Asset load(String name, String type) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream("assets/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard asset missing from the jar: " + name);
            }
            byte[] bytes = in.readAllBytes();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return new Asset(bytes, type, HexFormat.of().formatHex(digest, 0, 6));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
