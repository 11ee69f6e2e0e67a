//! SSM Parameter Store: the current values of the parameters workload stacks read at each
//! deploy, so a stack whose values changed since its last deploy is deployed again. Read-only.

use std::collections::BTreeMap;

use aws_sdk_ssm::Client;

use crate::aws::AwsError;

/// The values of `names` that exist, by name (a `StringList` as its comma-joined text, as
/// CloudFormation resolves it).
pub async fn values(
    client: &Client,
    names: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut values = BTreeMap::new();
    for chunk in names.chunks(10) {
        let output = client
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk("SSM.GetParameters", &error))?;
        for parameter in output.parameters() {
            if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                values.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    Ok(values)
}
