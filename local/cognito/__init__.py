"""The local Cognito user pool: the template's rules, tokens signed with a key of the state directory."""
