package dev.rotakey.auth;

import dev.rotakey.StartupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A client-certificate authority from files: the CA certificates of a PEM file (read at start), and the CRLs of an
 * optional CRL file (PEM or DER, one for each CA of the path), read again whenever the file changes so that a CRL
 * renewed by a cron job counts without a restart. Without a CRL file, revocation is not checked.
 */
final class FileCaAuthority implements ClientCertificateAuthority {
    private static final Logger LOG = LoggerFactory.getLogger(FileCaAuthority.class);

    private final Path caFile;
    private final Path crlFile;
    private final List<X509Certificate> anchors;
    private volatile Loaded crls;

    private record Loaded(FileTime modified, long size, List<X509CRL> crls) {
    }

    /** @param key the configuration key, for start-up errors: {@code auth.mtls.authorities[0]} */
    FileCaAuthority(String key, Path caFile, Path crlFile) {
        this.caFile = caFile;
        this.crlFile = crlFile;
        try (InputStream in = Files.newInputStream(caFile)) {
            this.anchors = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        } catch (IOException | GeneralSecurityException e) {
            throw new StartupException(key + ".caFile: cannot read CA certificates from " + caFile + " (" + e.getMessage() + ")", e);
        }
        if (anchors.isEmpty()) {
            throw new StartupException(key + ".caFile: " + caFile + " holds no certificate");
        }
        if (crlFile != null) {
            try {
                this.crls = load();
            } catch (IOException | GeneralSecurityException e) {
                throw new StartupException(key + ".crlFile: cannot read CRLs from " + crlFile + " (" + e.getMessage() + ")", e);
            }
        }
    }

    @Override
    public String describe() {
        return "caFile " + caFile;
    }

    @Override
    public String rotakeyCa() {
        return null;
    }

    @Override
    public Trust trust() {
        if (crlFile == null) {
            return new Trust(anchors, List.of(), false);
        }
        Loaded current = crls;
        try {
            if (!Files.getLastModifiedTime(crlFile).equals(current.modified()) || Files.size(crlFile) != current.size()) {
                current = load();
                crls = current;
            }
        } catch (IOException | GeneralSecurityException e) {
            // The last good CRLs stay in use: once they lapse, PKIX cannot tell revocation and refuses (fail closed).
            LOG.warn("cannot read CRL file {} again, the previous one stays in use: {}", crlFile, e.toString());
        }
        return new Trust(anchors, current.crls(), true);
    }

    private Loaded load() throws IOException, GeneralSecurityException {
        FileTime modified = Files.getLastModifiedTime(crlFile);
        long size = Files.size(crlFile);
        try (InputStream in = Files.newInputStream(crlFile)) {
            List<X509CRL> list = CertificateFactory.getInstance("X.509").generateCRLs(in).stream()
                    .map(X509CRL.class::cast).toList();
            if (list.isEmpty()) {
                throw new java.security.cert.CRLException("no CRL in the file");
            }
            return new Loaded(modified, size, list);
        }
    }
}
