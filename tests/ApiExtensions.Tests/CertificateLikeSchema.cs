namespace ApiExtensions.Tests;

/// <summary>
/// A large, nested schema shaped like the ones operators publish (a certificate request with issuer references,
/// key options, keystores, templates and status conditions): written for these tests, not copied from a chart.
/// </summary>
internal static class CertificateLikeSchema
{
    public const string Json = """
    {
      "type": "object",
      "description": "A request for a signed certificate.",
      "required": ["spec"],
      "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
          "type": "object",
          "required": ["issuerRef", "secretName"],
          "properties": {
            "secretName": {"type": "string", "minLength": 1, "maxLength": 253},
            "commonName": {"type": "string", "maxLength": 64},
            "dnsNames": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 253}},
            "ipAddresses": {"type": "array", "items": {"type": "string"}},
            "uris": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "emailAddresses": {"type": "array", "items": {"type": "string"}},
            "duration": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"},
            "renewBefore": {"type": "string"},
            "renewBeforePercentage": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 99},
            "revisionHistoryLimit": {"type": "integer", "format": "int32", "minimum": 1},
            "isCA": {"type": "boolean"},
            "usages": {
              "type": "array",
              "x-kubernetes-list-type": "set",
              "items": {"type": "string", "enum": ["signing", "digital signature", "content commitment", "key encipherment",
                "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
                "server auth", "client auth", "code signing", "email protection", "timestamping", "ocsp signing"]}
            },
            "issuerRef": {
              "type": "object",
              "required": ["name"],
              "properties": {
                "name": {"type": "string"},
                "kind": {"type": "string"},
                "group": {"type": "string"}
              }
            },
            "privateKey": {
              "type": "object",
              "properties": {
                "algorithm": {"type": "string", "enum": ["RSA", "ECDSA", "Ed25519"]},
                "encoding": {"type": "string", "enum": ["PKCS1", "PKCS8"], "default": "PKCS1"},
                "rotationPolicy": {"type": "string", "enum": ["Never", "Always", "RotationPolicyNever"], "default": "RotationPolicyNever"},
                "size": {"type": "integer", "minimum": 0, "maximum": 8192}
              }
            },
            "keystores": {
              "type": "object",
              "properties": {
                "jks": {
                  "type": "object",
                  "required": ["create"],
                  "properties": {
                    "alias": {"type": "string"},
                    "create": {"type": "boolean"},
                    "password": {"type": "string"},
                    "passwordSecretRef": {"type": "object", "required": ["name"], "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}
                  }
                },
                "pkcs12": {
                  "type": "object",
                  "required": ["create"],
                  "properties": {
                    "create": {"type": "boolean"},
                    "profile": {"type": "string", "enum": ["LegacyRC2", "LegacyDES", "Modern2023"]},
                    "passwordSecretRef": {"type": "object", "required": ["name"], "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}
                  }
                }
              }
            },
            "secretTemplate": {
              "type": "object",
              "properties": {
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
              }
            },
            "subject": {
              "type": "object",
              "properties": {
                "countries": {"type": "array", "items": {"type": "string"}},
                "localities": {"type": "array", "items": {"type": "string"}},
                "organizationalUnits": {"type": "array", "items": {"type": "string"}},
                "organizations": {"type": "array", "items": {"type": "string"}},
                "postalCodes": {"type": "array", "items": {"type": "string"}},
                "provinces": {"type": "array", "items": {"type": "string"}},
                "serialNumber": {"type": "string"},
                "streetAddresses": {"type": "array", "items": {"type": "string"}}
              }
            },
            "nameConstraints": {
              "type": "object",
              "properties": {
                "critical": {"type": "boolean"},
                "excluded": {"type": "object", "properties": {"dnsDomains": {"type": "array", "items": {"type": "string"}}, "ipRanges": {"type": "array", "items": {"type": "string"}}}},
                "permitted": {"type": "object", "properties": {"dnsDomains": {"type": "array", "items": {"type": "string"}}, "ipRanges": {"type": "array", "items": {"type": "string"}}}}
              }
            },
            "otherNames": {
              "type": "array",
              "items": {"type": "object", "properties": {"oid": {"type": "string"}, "utf8Value": {"type": "string"}}}
            },
            "additionalOutputFormats": {
              "type": "array",
              "items": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["DER", "CombinedPEM"]}}}
            },
            "podTemplate": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}
          }
        },
        "status": {
          "type": "object",
          "properties": {
            "conditions": {
              "type": "array",
              "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["type"],
              "items": {
                "type": "object",
                "required": ["status", "type"],
                "properties": {
                  "lastTransitionTime": {"type": "string", "format": "date-time"},
                  "message": {"type": "string"},
                  "observedGeneration": {"type": "integer", "format": "int64"},
                  "reason": {"type": "string"},
                  "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                  "type": {"type": "string"}
                }
              }
            },
            "failedIssuanceAttempts": {"type": "integer"},
            "lastFailureTime": {"type": "string", "format": "date-time"},
            "nextPrivateKeySecretName": {"type": "string"},
            "notAfter": {"type": "string", "format": "date-time"},
            "notBefore": {"type": "string", "format": "date-time"},
            "renewalTime": {"type": "string", "format": "date-time"},
            "revision": {"type": "integer"}
          }
        }
      }
    }
    """;
}
