"""The stack sends customer e-mail only from its SES identities: its sender and its mail domains."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from infra.config import StageConfig
from infra.mail import CustomerMail


def mail_stack(context: dict[str, Any]) -> dict[str, Any]:
    """The template of a stack holding only the mail construct and one role allowed to send."""
    app = cdk.App(context=context)
    stack = cdk.Stack(app, "Mail")
    mail = CustomerMail(stack, "CustomerMail", config=StageConfig.from_context(app, "dev"))
    sender = iam.Role(stack, "Sender", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    mail.grant_send(sender)
    return Template.from_stack(stack).to_json()


def identities(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> identity name of every SES identity."""
    return {
        logical_id: resource["Properties"]["EmailIdentity"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SES::EmailIdentity"
    }


def send_grants(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, identity logical id) of every SES statement in the template's policies."""
    grants = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                for arn in resources:
                    # arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${<logical id>}
                    grants.add((action, arn["Fn::Join"][1][-1]["Ref"]))
    return grants


def test_each_mail_domain_is_an_identity_the_sender_may_send_from() -> None:
    template = mail_stack({"mailSender": "orders@shops.example", "mailDomains": ["a.example", "B.example"]})
    found = identities(template)
    assert sorted(found.values()) == ["a.example", "b.example", "orders@shops.example"]
    assert send_grants(template) == {
        (action, logical_id) for logical_id in found for action in ("ses:SendEmail", "ses:SendRawEmail")
    }


def test_without_mail_domains_only_the_sender_is_an_identity() -> None:
    template = mail_stack({"mailSender": "orders@shops.example"})
    assert list(identities(template).values()) == ["orders@shops.example"]
    assert {action for action, _ in send_grants(template)} == {"ses:SendEmail", "ses:SendRawEmail"}


def test_mail_domains_come_as_a_list_or_a_comma_separated_string() -> None:
    def domains(value: Any) -> tuple[str, ...]:
        return StageConfig.from_context(cdk.App(context={"mailDomains": value}), "dev").mail_domains

    assert domains("a.example, shop.b.example,,a.example") == ("a.example", "shop.b.example")
    assert domains(["A.Example"]) == ("a.example",)
    assert domains([]) == ()
    assert StageConfig.from_context(cdk.App(), "dev").mail_domains == ()


@pytest.mark.parametrize("bad", ["not a domain", "orders@a.example", "localhost", "-a.example", "a..example"])
def test_a_mail_domain_that_is_not_a_domain_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"context mailDomains: .* is not a domain name"):
        StageConfig.from_context(cdk.App(context={"mailDomains": [bad]}), "dev")
