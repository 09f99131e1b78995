#include "pem_pair.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace ssl {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::unique_ptr<BIO, BioFree> bio_of(const std::string& text) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::int64_t seconds_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> names;
  std::unique_ptr<GENERAL_NAMES, NamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans.get(), i);
      if (n->type != GEN_DNS) continue;
      const ASN1_IA5STRING* s = n->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  if (names.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) names.push_back(cn);
  }
  return names;
}

PairInfo inspect(const std::string& chain, const std::string& key) {
  PairInfo info;
  auto cb = bio_of(chain);
  std::unique_ptr<X509, X509Free> cert(cb ? PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    info.problem = "no PEM certificate could be read";
    return info;
  }
  info.not_after = seconds_of(X509_get0_notAfter(cert.get()));
  info.names = dns_names(cert.get());
  char subject[512] = {};
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  info.subject = subject;
  auto kb = bio_of(key);
  // A null password callback with an empty password: an encrypted key is
  // refused rather than asked for.
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      kb ? PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, const_cast<char*>("")) : nullptr);
  if (!pkey) {
    info.problem = "no unencrypted PEM private key could be read";
    return info;
  }
  if (X509_check_private_key(cert.get(), pkey.get()) != 1) info.problem = "the key is not the certificate's key";
  return info;
}

}  // namespace

PairInfo inspect_pair(const std::string& chain, const std::string& key) {
  PairInfo info = inspect(chain, key);
  // A refused parse leaves OpenSSL's per-thread error queue filled; empty
  // it so that nothing later reads a stale error.
  ERR_clear_error();
  return info;
}

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string utc_text(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace ssl
