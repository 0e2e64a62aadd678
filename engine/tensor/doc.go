// Package tensor holds the generic GPU building blocks every stage needs — fill, y = a·x + b·y, and a
// deterministic parallel sum — each with its plain-Go reference (tensor_ref.go).
package tensor
