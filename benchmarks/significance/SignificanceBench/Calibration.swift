import Foundation
import Statistics

/// Placeholder replaced below.
func calibration(_ arguments: [String]) {}
