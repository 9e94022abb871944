"""Cognito: the user pool whose users carry their tenant, its groups and the API clients' app client."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra import names
from infra.config import StageConfig

# Token lifetimes: short-lived ID/access tokens (what the API accepts), a refresh token for a work month.
ID_TOKEN_VALIDITY = Duration.hours(1)
ACCESS_TOKEN_VALIDITY = Duration.hours(1)
REFRESH_TOKEN_VALIDITY = Duration.days(30)


class Auth(Construct):
    """Operators create users (no self sign-up); `custom:tenant` is set once and can never change."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        prod = config.is_prod
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                names.TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
                names.ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=32, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=prod,
            removal_policy=config.removal_policy,
        )
        self.groups = {
            role: cognito.CfnUserPoolGroup(
                self,
                f"{role.capitalize()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role,
                description=f"Users with the {role} role within their tenant",
            )
            for role in names.ROLES
        }
        # Custom attributes are readable but never writable by the client: a user who could write
        # `custom:role` through UpdateUserAttributes could make themselves admin.
        custom = [names.TENANT_ATTRIBUTE, names.ROLE_ATTRIBUTE]
        self.client = self.user_pool.add_client(
            "ApiClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            # API clients log in with USER_PASSWORD/SRP and call the API with the ID token: no hosted
            # UI, no OAuth flows, no callback URL (CDK's defaults) that anyone could be sent to.
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=ID_TOKEN_VALIDITY,
            access_token_validity=ACCESS_TOKEN_VALIDITY,
            refresh_token_validity=REFRESH_TOKEN_VALIDITY,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(*custom),
            # email stays writable: Cognito expects a pool's required attributes to be writable.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True),
        )
