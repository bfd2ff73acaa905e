// TSDB's API speaks Model's vocabulary (Labels, Matcher, Timestamp); its clients get it with `import TSDB`.
@_exported import Model
