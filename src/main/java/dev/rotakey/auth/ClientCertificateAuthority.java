package dev.rotakey.auth;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One CA that client certificates may chain to, as it is at the moment of a check: Rotakey's own CA (its generations
 * in use and their current CRLs, read live) or a CA file with an optional CRL file.
 */
public interface ClientCertificateAuthority {
    /** What the trust is now. */
    record Trust(List<X509Certificate> anchors, List<X509CRL> crls, boolean checkRevocation) {
    }

    /** How the configuration names it: {@code ca agents-ca}, {@code caFile /etc/...}. */
    String describe();

    /** The Rotakey CA's name, or null for a CA file. */
    String rotakeyCa();

    /** Its trust anchors and CRLs now; a Rotakey CA reads the database. */
    Trust trust();
}
