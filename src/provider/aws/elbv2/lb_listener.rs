//! `aws_lb_listener`: a port on a load balancer and what it does with
//! requests by default (forward to a target group, answer with a fixed
//! response, or redirect).
//!
//! The id is the ARN. `default_action` is an ordered list of blocks, sent
//! and read back in order. The listener's attributes (mTLS and TLS request
//! headers, response headers, the TCP idle timeout) are arguments named as
//! Terraform names them, the key with `_` for `.`; each is sent only when
//! set and read back with DescribeListenerAttributes. Weighted `forward {}`
//! blocks, authentication actions and `mutual_authentication` are not
//! modelled.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, Certificate, Listener, ListenerAttribute, ProtocolEnum,
};

use super::{
    action_schema, action_to_value, actions, describe_paginated_by_arns, owner_by_arn,
    read_described, tags_for_create, update_tags,
};
use crate::provider::aws::convert::{differs, i32_arg, prior_id};
use crate::provider::aws::{
    AwsContext, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct LbListener;

/// ELBv2's listener attributes: (key, argument). The argument is the key
/// with `_` for `.`, as Terraform names them.
const LISTENER_ATTRIBUTES: [(&str, &str); 20] = [
    (
        "routing.http.request.x_amzn_mtls_clientcert.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_header_name",
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_issuer_header_name",
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_leaf_header_name",
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_serial_number_header_name",
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_subject.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_subject_header_name",
    ),
    (
        "routing.http.request.x_amzn_mtls_clientcert_validity.header_name",
        "routing_http_request_x_amzn_mtls_clientcert_validity_header_name",
    ),
    (
        "routing.http.request.x_amzn_tls_cipher_suite.header_name",
        "routing_http_request_x_amzn_tls_cipher_suite_header_name",
    ),
    (
        "routing.http.request.x_amzn_tls_version.header_name",
        "routing_http_request_x_amzn_tls_version_header_name",
    ),
    (
        "routing.http.response.access_control_allow_credentials.header_value",
        "routing_http_response_access_control_allow_credentials_header_value",
    ),
    (
        "routing.http.response.access_control_allow_headers.header_value",
        "routing_http_response_access_control_allow_headers_header_value",
    ),
    (
        "routing.http.response.access_control_allow_methods.header_value",
        "routing_http_response_access_control_allow_methods_header_value",
    ),
    (
        "routing.http.response.access_control_allow_origin.header_value",
        "routing_http_response_access_control_allow_origin_header_value",
    ),
    (
        "routing.http.response.access_control_expose_headers.header_value",
        "routing_http_response_access_control_expose_headers_header_value",
    ),
    (
        "routing.http.response.access_control_max_age.header_value",
        "routing_http_response_access_control_max_age_header_value",
    ),
    (
        "routing.http.response.content_security_policy.header_value",
        "routing_http_response_content_security_policy_header_value",
    ),
    (
        "routing.http.response.server.enabled",
        "routing_http_response_server_enabled",
    ),
    (
        "routing.http.response.strict_transport_security.header_value",
        "routing_http_response_strict_transport_security_header_value",
    ),
    (
        "routing.http.response.x_content_type_options.header_value",
        "routing_http_response_x_content_type_options_header_value",
    ),
    (
        "routing.http.response.x_frame_options.header_value",
        "routing_http_response_x_frame_options_header_value",
    ),
    ("tcp.idle_timeout.seconds", "tcp_idle_timeout_seconds"),
];

/// A listener attribute's type: all are text but these two.
fn attribute_type(key: &str) -> Type {
    match key {
        "routing.http.response.server.enabled" => Type::Bool,
        "tcp.idle_timeout.seconds" => Type::Number,
        _ => Type::String,
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("load_balancer_arn", Type::String).force_new(),
        Attribute::optional("port", Type::Number),
        Attribute::optional_computed("protocol", Type::String),
        Attribute::optional_computed("ssl_policy", Type::String),
        Attribute::optional("certificate_arn", Type::String),
        Attribute::optional("alpn_policy", Type::String),
        Attribute::computed("arn", Type::String),
    ];
    let listener_attributes = LISTENER_ATTRIBUTES
        .iter()
        .map(|(key, argument)| Attribute::optional_computed(argument, attribute_type(key)));
    let attributes = attributes.into_iter().chain(listener_attributes).collect();
    Schema::with_tags(
        attributes,
        vec![Block::list("default_action", action_schema()).required()],
    )
});

fn certificates(planned: &Attrs) -> Option<Vec<Certificate>> {
    planned
        .str("certificate_arn")
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

/// The listener attributes the planned arguments set that differ from
/// `prior` (all of them set, with no prior), as ModifyListenerAttributes
/// takes them.
fn attributes_to_write(prior: Option<&Attrs>, planned: &Attrs) -> Vec<ListenerAttribute> {
    LISTENER_ATTRIBUTES
        .iter()
        .filter_map(|(key, argument)| {
            let value = planned.get(*argument).filter(|v| !v.is_null())?;
            if prior.is_some_and(|prior| prior.get(*argument) == Some(value)) {
                return None;
            }
            Some(
                ListenerAttribute::builder()
                    .key(*key)
                    .set_value(value.to_string_lossless())
                    .build(),
            )
        })
        .collect()
}

async fn write_attributes(
    aws: &AwsContext,
    arn: &str,
    attributes: Vec<ListenerAttribute>,
) -> Result<(), ProviderError> {
    if attributes.is_empty() {
        return Ok(());
    }
    aws.elbv2()
        .modify_listener_attributes()
        .listener_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// A listener's attributes as arguments, converted to their types.
async fn read_attributes(aws: &AwsContext, arn: String) -> Result<Attrs, ProviderError> {
    let answer = aws
        .elbv2()
        .describe_listener_attributes()
        .listener_arn(&arn)
        .send()
        .await
        .map_err(sdk_error)?;
    let mut out = Attrs::new();
    for attribute in answer.attributes() {
        let (Some(key), Some(value)) = (attribute.key(), attribute.value()) else {
            continue;
        };
        let Some((_, argument)) = LISTENER_ATTRIBUTES.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        let value = attribute_type(key)
            .convert(Value::string(value))
            .unwrap_or(Value::Null);
        out.insert(argument.to_string(), value);
    }
    Ok(out)
}

fn alpn_policy(planned: &Attrs) -> Option<Vec<String>> {
    planned.str("alpn_policy").map(|p| vec![p.to_string()])
}

fn to_attrs(listener: &Listener, tags: Value) -> Attrs {
    let arn = listener.listener_arn().unwrap_or_default();
    let mut actions: Vec<&Action> = listener.default_actions().iter().collect();
    actions.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    Attrs::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        (
            "load_balancer_arn".into(),
            listener.load_balancer_arn().into(),
        ),
        ("port".into(), listener.port().into()),
        (
            "protocol".into(),
            listener.protocol().map(|p| p.as_str()).into(),
        ),
        ("ssl_policy".into(), listener.ssl_policy().into()),
        (
            "certificate_arn".into(),
            listener
                .certificates()
                .first()
                .and_then(|c| c.certificate_arn())
                .into(),
        ),
        (
            "default_action".into(),
            Value::List(actions.into_iter().map(action_to_value).collect()),
        ),
        (
            "alpn_policy".into(),
            listener.alpn_policy().first().map(String::as_str).into(),
        ),
        ("tags_all".into(), tags),
    ])
}

#[async_trait]
impl ResourceType for LbListener {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeListeners (per 20 ARNs) and one DescribeTags for all ids.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let listeners =
            describe_paginated_by_arns!(ids, aws.elbv2().describe_listeners(), set_listener_arns)
                .await?;
        read_described(
            aws,
            listeners,
            Listener::listener_arn,
            |arn| read_attributes(aws, arn),
            |listener, attributes, tags| {
                let mut attrs = to_attrs(listener, tags);
                attrs.extend(attributes);
                attrs
            },
        )
        .await
    }

    /// A load balancer has one listener per port: that one, by its tags.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let (Some(load_balancer), Some(port)) = (
            req.planned.str("load_balancer_arn"),
            i32_arg(req.planned, "port"),
        ) else {
            return Ok(Found::Nothing);
        };
        let described = aws
            .elbv2()
            .describe_listeners()
            .load_balancer_arn(load_balancer)
            .send()
            .await;
        let found = ok_if_not_found(described.map_err(sdk_error))?;
        let listeners = found
            .as_ref()
            .map(|out| out.listeners())
            .unwrap_or_default();
        let on_port = listeners.iter().find(|l| l.port() == Some(port));
        owner_by_arn(aws, req, on_port.and_then(|l| l.listener_arn())).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let out = aws
            .elbv2()
            .create_listener()
            .set_load_balancer_arn(planned.str("load_balancer_arn").map(String::from))
            .set_port(i32_arg(planned, "port"))
            .set_protocol(planned.str("protocol").map(ProtocolEnum::from))
            .set_ssl_policy(planned.str("ssl_policy").map(String::from))
            .set_certificates(certificates(planned))
            .set_alpn_policy(alpn_policy(planned))
            .set_default_actions(Some(actions(planned, "default_action")))
            .set_tags(Some(tags_for_create(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = id_from_answer(
            out.listeners().first().and_then(|l| l.listener_arn()),
            "CreateListener returned no ARN",
        )?;
        write_attributes(aws, &arn, attributes_to_write(None, planned)).await?;
        Ok(arn)
    }

    /// ModifyListener takes the whole listener; sending every argument keeps
    /// the update independent of which one changed.
    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        let settings = [
            "port",
            "protocol",
            "ssl_policy",
            "certificate_arn",
            "alpn_policy",
            "default_action",
        ];
        if settings.iter().any(|key| differs(prior, planned, key)) {
            aws.elbv2()
                .modify_listener()
                .listener_arn(arn)
                .set_port(i32_arg(planned, "port"))
                .set_protocol(planned.str("protocol").map(ProtocolEnum::from))
                .set_ssl_policy(planned.str("ssl_policy").map(String::from))
                .set_certificates(certificates(planned))
                .set_alpn_policy(alpn_policy(planned))
                .set_default_actions(Some(actions(planned, "default_action")))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        write_attributes(aws, arn, attributes_to_write(Some(prior), planned)).await?;
        update_tags(aws, arn, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        ok_if_already_gone(aws.elbv2().delete_listener().listener_arn(arn).send().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::convert::block;
    use crate::value::attrs;

    #[test]
    fn listener_attribute_arguments_are_their_keys_with_underscores() {
        for (key, argument) in LISTENER_ATTRIBUTES {
            assert_eq!(key.replace('.', "_"), argument);
        }
    }

    #[test]
    fn actions_round_trip_as_written() {
        let forward = attrs([
            ("type", Value::string("forward")),
            ("target_group_arn", Value::string("arn:tg")),
        ]);
        let fixed = attrs([
            ("type", Value::string("fixed-response")),
            (
                "fixed_response",
                block(attrs([
                    ("content_type", Value::string("text/plain")),
                    ("status_code", Value::string("404")),
                ])),
            ),
        ]);
        let planned = attrs([(
            "default_action",
            Value::List(
                vec![
                    Value::Map(forward.clone().into()),
                    Value::Map(fixed.clone().into()),
                ]
                .into(),
            ),
        )]);
        let sent = actions(&planned, "default_action");
        assert_eq!(sent[1].order(), Some(2));
        let read: Vec<Value> = sent.iter().map(action_to_value).collect();
        assert_eq!(
            read,
            vec![Value::Map(forward.into()), Value::Map(fixed.into())]
        );
    }
}
