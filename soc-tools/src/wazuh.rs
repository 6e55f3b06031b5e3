//! Wazuh integration.
